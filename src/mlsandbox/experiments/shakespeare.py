"""Shakespeare, character by character: an LSTM and a small transformer, trained on 34 plays and the
sonnets, measured on two plays they never read."""

from mlsandbox.data import shakespeare
from mlsandbox.kinds.text_generator import TextGenerator, TextRecipe, vocabulary
from mlsandbox.settings import HIDDEN, WIDTH_OF_ATTENTION, text_settings

CONTEXT = 128
PROMPTS = (
    "ROMEO:\n",
    "HAMLET:\nTo be, or not to be",
    "Shall I compare thee to a summer's day?\n",
    "KING HENRY V:\nOnce more unto the breach, dear friends,",
    "First Witch:\n",
)


def build_lstm(hidden: int = 512, layers: int = 2, dropout: float = 0.1):
    from mlsandbox.nets.charlm import LSTMModel

    return LSTMModel(len(vocabulary(shakespeare.load().train)), hidden=hidden, layers=layers, dropout=dropout)


def build_transformer(width: int = 192, layers: int = 4, context: int = CONTEXT, dropout: float = 0.1):
    from mlsandbox.nets.charlm import TransformerModel

    return TransformerModel(len(vocabulary(shakespeare.load().train)), context=context, width=width, layers=layers,
                            heads=4, dropout=dropout)


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
        settings=text_settings(HIDDEN),
        quick=dict(hidden=256, epochs=12, steps_per_epoch=50, context=64),
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
        settings=text_settings(WIDTH_OF_ATTENTION),
        quick=dict(width=96, layers=2, epochs=12, steps_per_epoch=50, context=64),
        **COMMON,
    ),
)
