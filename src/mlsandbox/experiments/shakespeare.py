"""Shakespeare, character by character: an LSTM and a small transformer, trained on 34 plays and the
sonnets, measured on two plays they never read."""

from mlsandbox.data import shakespeare
from mlsandbox.kinds.text_generator import TextGenerator, TextRecipe, vocabulary

CONTEXT = 128
PROMPTS = (
    "ROMEO:\n",
    "HAMLET:\nTo be, or not to be",
    "Shall I compare thee to a summer's day?\n",
    "KING HENRY V:\nOnce more unto the breach, dear friends,",
    "First Witch:\n",
)


def build_lstm():
    from mlsandbox.nets.charlm import LSTMModel

    return LSTMModel(len(vocabulary(shakespeare.load().train)), hidden=512, layers=2, dropout=0.1)


def build_transformer():
    from mlsandbox.nets.charlm import TransformerModel

    return TransformerModel(len(vocabulary(shakespeare.load().train)), context=CONTEXT, width=192, layers=4, heads=4,
                            dropout=0.1)


COMMON = dict(family="shakespeare", demo="text", assets=shakespeare.ASSETS, load_data=shakespeare.load,
              prompts=PROMPTS)

EXPERIMENTS = (
    TextGenerator(
        id="shakespeare_lstm",
        title="Shakespeare: LSTM",
        summary="Start a line of a play or a sonnet; a recurrent network continues it one character at a time.",
        build_net=build_lstm,
        recipe=TextRecipe(epochs=10, steps_per_epoch=280, batch_size=32, context=CONTEXT, learning_rate=2e-3,
                          weight_decay=0.01, warmup=0.05),
        **COMMON,
    ),
    TextGenerator(
        id="shakespeare_transformer",
        title="Shakespeare: transformer",
        summary="Start a line of a play or a sonnet; a small transformer continues it, attending to the last "
        f"{CONTEXT} characters.",
        build_net=build_transformer,
        recipe=TextRecipe(epochs=10, steps_per_epoch=220, batch_size=32, context=CONTEXT, learning_rate=1.5e-3,
                          weight_decay=0.05, warmup=0.05),
        **COMMON,
    ),
)
