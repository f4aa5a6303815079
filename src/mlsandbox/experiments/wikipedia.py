"""Wikipedia, character by character: the network that did best on Shakespeare's held-out plays, trained
on about a hundred English articles and measured on articles it never read."""

from mlsandbox.data import wikipedia
from mlsandbox.kinds.text_generator import TextGenerator, TextRecipe, vocabulary
from mlsandbox.settings import HIDDEN, text_settings

PROMPTS = (
    "Anarchism\n",
    "The history of",
    "Alan Turing was",
    "Mathematics is the study of",
    "In 1905,",
)


def build_net(hidden: int = 512, layers: int = 2, dropout: float = 0.1):
    from mlsandbox.nets.charlm import LSTMModel

    return LSTMModel(len(vocabulary(wikipedia.load().train)), hidden=hidden, layers=layers, dropout=dropout)


EXPERIMENTS = (
    TextGenerator(
        id="wikipedia",
        title="Wikipedia: LSTM",
        summary="Start an encyclopedia article; a recurrent network trained on Wikipedia continues it.",
        family="wikipedia",
        demo="text",
        assets=wikipedia.ASSETS,
        load_data=wikipedia.load,
        build_net=build_net,
        recipe=TextRecipe(epochs=10, steps_per_epoch=200, batch_size=32, context=128, learning_rate=2e-3,
                          weight_decay=0.01, warmup=0.05),
        settings=text_settings(HIDDEN),
        quick=dict(hidden=256, epochs=12, steps_per_epoch=50, context=64),
        prompts=PROMPTS,
    ),
)
