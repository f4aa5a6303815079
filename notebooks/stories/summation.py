"""The summation notebook: an LSTM encoder-decoder that learns to add two numbers written as text."""

from stories import code, export_cell, md, running_and_setup

EXPERIMENT = "numbers_summation"

IMPORTS = """
            import json

            import matplotlib.pyplot as plt
            import numpy as np
            import torch

            from mlsandbox import experiments, export, plots, train
            from mlsandbox.data import summation
            from mlsandbox.kinds.sequence_translator import Unreadable
""".strip()


def cells() -> list:
    _, setup = running_and_setup(EXPERIMENT, "", "", IMPORTS)  # its code cell; the prose below fits this experiment
    return [
        md("""
            # Adding numbers with an encoder-decoder network

            **Experiment:** `numbers_summation` · **Data:** sums of two numbers from 0 to 999, generated ·
            **Network:** LSTM encoder-decoder · **Demo:** type a sum like 17+38 and watch the network
            write the answer digit by digit, with how sure it is of each digit

            The network is never told what a number is. It sees `479+85` as six characters, and it must
            write `564` as three characters, one at a time. Everything it knows about place values and
            carries it has to find in the examples. That makes addition a good first problem for
            *sequence-to-sequence* models: the input and the output are short texts, the right answer is
            known for every input, and a mistake is easy to see.

            This notebook goes from the data to the file the demo page serves: how the examples are
            generated and which ones are kept out of training, how a sum becomes numbers the network can
            read, the encoder-decoder network, training, and a measurement on 10,000 held-out sums taken
            from the exported ONNX model, as the page runs it. Then a look at the mistakes, at how sure the
            network is of each digit, and a few sums of your own.
        """),
        md("""
            **Running it.** As it stands the notebook is the real run: the whole recipe, and the exported
            model replaces the one in `src/mlsandbox/artifacts/` that the demo serves. For a quick look,
            start Jupyter with `MLSANDBOX_FAST=1` in the environment: then it trains for one short epoch (a
            few dozen steps), measures on the first 2,000 held-out sums, and writes its files to a scratch
            directory, leaving the committed model alone. A network trained that briefly has not learned to
            add yet, so read its figures as a check that everything runs. From the command line,
            `python notebooks/build.py --execute --fast numbers_summation` runs it that way.

            ## Setup

            Everything here comes from the `mlsandbox` package; the notebook only calls it and shows the
            results, so what you read is exactly what the command line and the web page run.
        """),
        setup,
        md("""
            ## The data: generated sums, some held out

            There is no dataset to download: with two whole numbers from 0 to 999 there are exactly a
            million ordered pairs (`a+b`), and the right answer to each is known. So the examples are
            generated. What needs care is keeping the *held-out* sums apart from training.

            Once, with a fixed seed, `data.summation.load` shuffles all million pairs and keeps the first
            12,000 that are distinct as unordered pairs: 10,000 for the *test* set (measured once, at the
            end) and 2,000 for *validation* (to pick the best epoch). Training never reads a fixed list:
            every step draws fresh sums from the pairs that are still allowed. Not allowed are the
            held-out expressions themselves and their *swapped twins*: if `38+17` is a test sum, training
            never sees `17+38` either. A network could otherwise answer a test sum from memory of its twin,
            and the test figure would measure memory, not addition.
        """),
        code("""
            split = experiment.load_data()
            print(split.description)
            print()
            for part, count in split.sizes().items():
                what = "ordered pairs training may draw from" if part == "train" else "expressions"
                print(f"{part:>10}: {count:>9,} {what}")

            texts, answers = split.test
            print("\\nthe first test sums:", ", ".join(f"{t}={a}" for t, a in zip(texts[:6], answers[:6])))
        """),
        md("""
            The split keeps its promise, and we can check it. `split.allowed` has one entry per ordered
            pair (the pair `a+b` sits at index `a × 1000 + b`) saying whether training may draw it. None
            of the held-out sums or their twins may be drawn, and the number of closed pairs is exactly two
            per held-out sum, less the sums like `5+5` that are their own twin. Drawing a batch of training
            sums confirms that none of them is held out.
        """),
        code("""
            side = summation.LARGEST + 1
            held_out = np.concatenate([split.validation_pairs, split.test_pairs])
            same = int((held_out[:, 0] == held_out[:, 1]).sum())
            print(f"held-out sums training may draw:       {split.allowed[held_out[:, 0] * side + held_out[:, 1]].sum()}")
            print(f"their swapped twins training may draw: {split.allowed[held_out[:, 1] * side + held_out[:, 0]].sum()}")
            print(f"pairs closed to training: {summation.PAIRS - split.allowed.sum():,}"
                  f" = 2 x {len(held_out):,} held-out sums - {same} that are their own twin")

            drawn, drawn_answers = split.training(20_000, np.random.default_rng(1))
            held_out_texts = {summation.expression(a, b) for a, b in held_out.tolist()}
            held_out_texts |= {summation.expression(b, a) for a, b in held_out.tolist()}
            print(f"\\n20,000 training sums drawn, of which held out or a held-out twin: {len(set(drawn) & held_out_texts)}")
            print("a few of them:", ", ".join(f"{t}={a}" for t, a in zip(drawn[:10], drawn_answers[:10])))
        """),
        md("""
            ### Why one, two and three digits are equally likely

            Those training sums are not drawn uniformly from the allowed pairs. Of the thousand numbers from
            0 to 999, 900 have three digits, 90 have two and only 10 have one, so a uniform draw would give
            the network a sum like `4+7` once in ten thousand examples; yet the short sums are the ones
            people type first into the demo. So `Sums.training` first picks each number's length, one, two
            or three digits with equal chance, and then a number of that length.

            The held-out sums, on the other hand, were drawn uniformly, so most of them add two three-digit
            numbers. The table compares the three: every number from 0 to 999 (a uniform draw), the training
            draws, and the test sums. Keep it in mind when reading the test figure: it is mostly a
            measure of long sums, and the evaluation below breaks it down by length.
        """),
        code("""
            def digit_counts(numbers):
                lengths = np.array([len(str(n)) for n in numbers])
                return [(lengths == d).mean() for d in (1, 2, 3)]

            training_numbers = [int(n) for t in drawn for n in t.split("+")]
            columns = {
                "all numbers 0..999": digit_counts(range(side)),
                "training draws": digit_counts(training_numbers),
                "test sums": digit_counts(split.test_pairs.ravel()),
            }
            print(f"{'digits':<8}" + "".join(f"{name:>20}" for name in columns))
            for d in range(3):
                print(f"{d + 1:<8}" + "".join(f"{shares[d]:>20.1%}" for shares in columns.values()))
        """),
        md("""
            ## From text to numbers

            A network reads numbers, not characters, so each character becomes its position in an
            *alphabet*. The input alphabet is a space, the ten digits and `+`; the output alphabet is a
            space and the ten digits. In both, the first character, the space, is *padding*: every input is
            padded on the right to the longest one, `999+999` (7 characters), and every answer to the
            longest answer, `1998` (4 characters), so that a batch is one rectangular array. In an answer
            the padding also means "the answer ends here": the network learns to write it, and the served
            model stops reading at the first one.

            **The answer is written backwards**, units first. That is how people add on paper, and for the
            same reason: the units digit of `479+85` depends only on the units, 9 and 5; the tens digit on
            the tens and the carry from the units, which the network has just dealt with; and so on up.
            Written the usual way round, the first digit to come out would be the one that depends on
            *every* carry below it (`999+1` starts with a 1 only because of a carry that starts at the
            units), and the network would have to finish the whole sum in its head before writing anything.
            The experiment says `backwards=True`, and the runtime turns the answer round again before anyone
            sees it.
        """),
        code("""
            print(f"input alphabet:  {experiment.input_alphabet!r} ({len(experiment.input_alphabet)} characters)")
            print(f"output alphabet: {experiment.output_alphabet!r} ({len(experiment.output_alphabet)} characters)")
            print(f"inputs padded to {experiment.input_length} characters, answers to {experiment.output_length}\\n")

            examples = ["5+7", "479+85", "999+999"]
            example_answers = [experiment.answer(t) for t in examples]
            x, y = experiment.encode(examples), experiment.encode_output(example_answers)
            for text, answer, xi, yi in zip(examples, example_answers, x, y):
                written = experiment.in_writing_order(answer)
                print(f"{text!r:>10} -> {xi.tolist()}   answer {answer!r:<6} written {written!r:<6} -> {yi.tolist()}")
        """),
        md("""
            ## The network

            An *encoder-decoder* is two recurrent networks, here two LSTMs of 128 units, joined by their
            memory:

            * **The encoder** reads the sum one character at a time (each character first becomes a vector
              of 32 numbers, its *embedding*). An LSTM carries a memory from one character to the next, two
              vectors of 128 numbers called *h* and *c*; after the last character, that memory is all the
              decoder will know about the sum. The encoder reads the padded text from its end, so the
              characters it reads last, freshest in its memory, are the first ones typed.
            * **The decoder** starts from the encoder's memory and writes the answer, one character per
              step, four steps in all. At each step it is shown the character written at the step before
              (a special *start* character at the first step), and a linear layer turns its output into one
              score, a *logit*, for each of the 11 characters of the output alphabet.

            What the decoder is shown as "the character before" differs between training and serving:

            * **In training, teacher forcing:** it is shown the *true* previous character, whatever it
              would have written itself. All four steps can then run at once from the known answer, and a
              mistake at one step does not spoil what the next steps learn. This is `model(text, answer)`.
            * **When serving, greedy decoding:** there is no true answer, so it is shown its *own* previous
              character, the most likely one at that step. This is `model(text)`, which returns the
              probabilities of every step; it is what is exported to ONNX, so the file holds the whole loop
              and the page needs a single call per sum.
        """),
        code("""
            model = experiment.build_net()
            print(model)
            print()
            total = 0
            print(f"{'parameter':<28} {'shape':<14} {'count':>8}")
            for name, parameter in model.named_parameters():
                print(f"{name:<28} {str(tuple(parameter.shape)):<14} {parameter.numel():>8,}")
                total += parameter.numel()
            print(f"{'total':<43} {total:>8,}")
        """),
        md("""
            Both ways of running the untrained network, on the three examples above. With teacher forcing
            it gives logits for the four positions of each answer; greedily it gives probabilities, and
            taking the most likely character at each step gives the answer it would serve, which is
            nonsense for now.
        """),
        code("""
            def as_answer(ids):
                \"\"\"Character ids in writing order -> the answer as read: up to the first padding, turned round.\"\"\"
                written = ""
                for i in ids:
                    if i == 0:
                        break
                    written += experiment.output_alphabet[i]
                return experiment.in_writing_order(written)

            model.eval()
            with torch.no_grad():
                logits = model(torch.from_numpy(x), torch.from_numpy(y))  # training: the true previous characters
                probabilities = model(torch.from_numpy(x))  # serving: its own previous characters
            print(f"teacher forcing: text {tuple(x.shape)} and answer {tuple(y.shape)} -> logits {tuple(logits.shape)}")
            print(f"greedy:          text {tuple(x.shape)} -> probabilities {tuple(probabilities.shape)}")
            for text, step_probabilities in zip(examples, probabilities):
                print(f"  untrained: {text} = {as_answer(step_probabilities.argmax(-1).tolist())!r}")
        """),
        md("""
            ## The training recipe

            * **Fresh sums at every step.** There is no fixed training set to go through, so an *epoch* is
              simply `steps_per_epoch` steps of `batch_size` new sums each; the network practically never
              sees the same sum twice.
            * **The loss** is the cross-entropy of each of the four written characters, padding included
              (ending the answer at the right place is part of the answer), with teacher forcing.
            * **AdamW** with a *one-cycle* schedule: the learning rate rises to `learning_rate` over the
              first `warmup` fraction of the steps, then anneals towards zero; `weight_decay` gently pulls
              unneeded weights towards zero.
            * **The best epoch** is chosen by the validation *exact match*: the share of the 2,000
              validation sums whose greedy answer, as served, is entirely right.
        """),
        code("""
            recipe = experiment.recipe
            print(type(recipe).__name__)
            for name, value in vars(recipe).items():
                print(f"  {name:<16} {value}")
            print(f"\\n{recipe.epochs * recipe.steps_per_epoch * recipe.batch_size:,} sums drawn in a full run")
        """),
        md("""
            ## Training

            `train.fit` builds a fresh network, trains it with the recipe, and measures it on the
            validation sums after every epoch, keeping the weights of the best epoch. It never sees the
            test sums. A progress bar shows the running loss and accuracy, and each epoch ends with one line
            of results.
        """),
        code("""
            if FAST:
                data, recipe = split.subset(train.FAST_SUBSET), train.quick(experiment.recipe)
            else:
                data, recipe = split, experiment.recipe
            print(f"{recipe.epochs} epoch(s) of {recipe.steps_per_epoch} steps of {recipe.batch_size} fresh sums;"
                  f" validation on {len(data.validation_pairs):,} sums")

            result = train.fit(experiment, data, recipe)
            best = result.history[result.best_epoch - 1]
            print(f"\\nbest epoch {result.best_epoch}: validation exact match {best['val_accuracy']:.2%}"
                  f" ({result.seconds:.0f} s on {result.device})")
        """),
        md("""
            The curves show the whole run. The losses are both measured with teacher forcing, per written
            character. The accuracies are not measured alike: in training, a sum counts as right when all
            four characters are right *given the true characters before them*; in validation, when the
            greedy answer is right, the network's own characters fed back in. The second is the stricter,
            and it is the one served. Since a sum only counts when every digit is right, the exact match
            can stay near zero while the loss is already falling: a network that gets the units right but
            not yet the carries still has almost every answer wrong.
        """),
        code("""
            figure = plots.curves(result.history, title=experiment.title)
            for axis in figure.axes:
                axis.legend(["training (fresh sums)", "validation"])
            plt.show()
        """),
        md("""
            ## Export

            The demo page does not run PyTorch: it runs the network with ONNX Runtime. `export.export`
            converts the greedy network to ONNX (one input, the character ids of a batch of sums; one
            output, the probabilities of each character at each of the four steps), checks that ONNX
            Runtime and PyTorch agree on validation sums, measures it on the test sums and writes the
            experiment's *card*: the data and split, the test metrics, the parameter count, the file's size
            and checksum, how long training took on which machine, and the command that reproduces it.

            In fast mode the files go to a scratch directory (`train.use_fast_artifacts`), so a quick run
            never replaces the committed model.
        """),
        export_cell("parameters", "model"),
        md("""
            ## Evaluation on the held-out sums, from the exported model

            Now the test sums (all 10,000 of them in a full run), for the first and only time, through the
            exported ONNX file: `experiment.evaluate` runs it with the same runtime as the server. Two
            figures: the *exact match*, the share of sums whose whole answer is right, and the *character
            accuracy*, the share of the four written positions (padding included) that are right.
        """),
        code("""
            metrics, _ = experiment.evaluate(data)
            print(f"model: {experiment.model_path}")
            print(f"exact match {metrics['exact_match']:.2%}, character accuracy {metrics['character_accuracy']:.2%},"
                  f" on {metrics['test_examples']:,} held-out sums")
        """),
        md("""
            A single figure hides where the mistakes are. The runtime, `Translator`, gives each answer with
            the probability of every character it wrote. From it, the exact match for each combination of
            lengths (rows: the digits of the first number, columns: of the second), and for each number of
            *carries* the sum needs (`479+85` needs two: 9+5 and 7+8+1).
        """),
        code("""
            translator = experiment.open_runtime()  # the exported file, checked against its card
            texts, answers = data.test
            translations = translator.translate(texts)
            right = np.array([t.output == t.expected for t in translations])

            lengths = np.array([[len(str(n)) for n in pair] for pair in data.test_pairs.tolist()])
            print("exact match by the numbers' lengths (and how many test sums have them)")
            print(f"{'':>10}" + "".join(f"{f'{b} digit(s)':>18}" for b in (1, 2, 3)))
            for a in (1, 2, 3):
                row = ""
                for b in (1, 2, 3):
                    chosen = (lengths[:, 0] == a) & (lengths[:, 1] == b)
                    row += f"{f'{right[chosen].mean():.1%} of {chosen.sum():,}' if chosen.any() else '-':>18}"
                print(f"{f'{a} digit(s)':>10}{row}")

            def carries(a, b):
                count, carry = 0, 0
                while a or b:
                    carry = int(a % 10 + b % 10 + carry >= 10)
                    count += carry
                    a, b = a // 10, b // 10
                return count

            needed = np.array([carries(a, b) for a, b in data.test_pairs.tolist()])
            print("\\nexact match by the number of carries")
            for n in range(needed.max() + 1):
                chosen = needed == n
                print(f"  {n} {'carry' if n == 1 else 'carries':<7} {right[chosen].mean():>8.2%} of {chosen.sum():>5,} sums")
        """),
        md("""
            ### The mistakes

            Here are the wrong answers (the first 15 of them, where there are more), each with the
            probability the network gave every character it wrote. After a full run there are few; after
            a fast run, nearly every answer is wrong.
        """),
        code("""
            wrong = np.flatnonzero(~right)
            print(f"{len(wrong):,} wrong answers out of {len(right):,}\\n")
            for i in wrong[:15]:
                t = translations[i]
                sure = "  ".join(f"{c['character']} {c['probability']:.0%}" for c in t.characters)
                print(f"{t.text:>8} = {t.expected:<5} it wrote {t.output!r:<7} ({sure})")
        """),
        md("""
            ### How sure it is, digit by digit

            Is the network's confidence worth anything? Below, every digit it wrote on the test sums,
            grouped by the probability it gave that digit, with the share of each group that was right
            (a digit is compared with the true digit at the same place: units with units, tens with tens).
            A network whose confidence means something is right nearly always when it is sure, and its
            mistakes gather in the less confident groups. The demo shows this probability under each digit
            it writes, as a figure and as a bar.
            The second table gives the same by place, units first, the order they are written in.
        """),
        code("""
            confidence, correct, place = [], [], []
            for t in translations:
                truth = t.expected[::-1]
                for k, c in enumerate(t.characters[::-1]):  # units first, as written
                    confidence.append(c["probability"])
                    correct.append(k < len(truth) and c["character"] == truth[k])
                    place.append(k)
            confidence, correct, place = np.array(confidence), np.array(correct), np.array(place)

            print(f"{'probability of the digit':<26} {'digits':>8} {'right':>9}")
            edges = [0, 0.5, 0.9, 0.99, 0.999, 1.0001]
            for low, high in zip(edges, edges[1:]):
                chosen = (confidence >= low) & (confidence < high)
                if chosen.any():
                    span = f"{low:.1%} to {min(high, 1):.1%}"
                    print(f"{span:<26} {chosen.sum():>8,} {correct[chosen].mean():>9.2%}")

            print(f"\\n{'place':<12} {'digits':>8} {'right':>9} {'mean probability':>18}")
            for k, name in enumerate(["units", "tens", "hundreds", "thousands"]):
                chosen = place == k
                if chosen.any():
                    print(f"{name:<12} {chosen.sum():>8,} {correct[chosen].mean():>9.2%} {confidence[chosen].mean():>18.2%}")
        """),
        md("""
            ## Try it

            Finally a few sums as a person might type them. `experiment.read` is what the page and the
            command line use to turn what was typed into what the network reads (spaces and leading zeros
            go; anything it cannot read is refused with a message saying what to type instead), and each
            answer shows how sure the network was of every digit. Each sum is also marked as held out (the
            network never saw it, nor its twin) or as one training could have drawn.
        """),
        code("""
            first_test_sum = split.test[0][0]
            for typed in ["17+38", "5 + 7", "0+0", "099+1", "123+877", "500+499", "999+999", first_test_sum, "1000+1", "12-3"]:
                try:
                    text = experiment.read(typed)
                except Unreadable as e:
                    print(f"{typed!r}: cannot be read: {e}")
                    continue
                a, b = (int(n) for n in text.split("+"))
                seen = "could be drawn in training" if split.allowed[a * side + b] else "held out"
                t = translator.translate([text])[0]
                sure = "  ".join(f"{c['character']} {c['probability']:.1%}" for c in t.characters)
                verdict = "right" if t.output == t.expected else f"wrong, it is {t.expected}"
                print(f"{typed!r:>10} read as {text:<8} = {t.output:<5} ({sure}): {verdict}; {seen}")
        """),
        md("""
            For one sum, the runners-up at each step: the characters the network weighed besides the one
            it wrote, with their probabilities (`(end)` is the padding, ending the answer there).
        """),
        code("""
            t = translator.translate([experiment.read("479+85")])[0]
            print(f"{t.text} = {t.output}")
            for c in t.characters[::-1]:  # in the order it wrote them
                others = ", ".join(f"{a['character']} {a['probability']:.2%}" for a in c["alternatives"])
                print(f"  wrote {c['character']} ({c['probability']:.2%}); also weighed {others}")
        """),
        md("""
            ## What to try next

            * **Write the answer the usual way round.** Train
              `dataclasses.replace(experiment, backwards=False)` with `train.fit` and the same recipe, and
              compare the validation curves with the ones above: how much later does the exact match take
              off, and where do its mistakes fall in the carries table?
            * **Draw uniformly.** Change `Sums.training` in `mlsandbox/data/summation.py` to draw from all
              allowed pairs alike, train again and look at the table of lengths: what happens to the short
              sums?
            * **Make the network smaller.** `hidden=128` in `mlsandbox/experiments/summation.py`: how few
              units still add every test sum right?
            * **Try to fool it** in the demo (`mlsandbox serve`) or from the command line
              (`mlsandbox predict numbers_summation 999+1`): long chains of carries, zeros, a number and
              itself. Its confidence per digit says where it hesitates.
        """),
        md("""
            ## Try it in the lab

            `make lab` starts the demo with training on: "Train it yourself" on this experiment's page holds the
            recipe as a form, and **Quick** fills it with 6 epochs of 500 steps. At every validation the page shows
            the network's answers to 12 held-out sums.

            * `steps_per_epoch` 100 with `epochs` 30: the same 3,000 steps, validated five times as often. In our
              run it first gave nearly every sum the same answer, then answers of the right length, often with the
              right leading digit (though it writes the units first); the middle digit came last. The exact match
              stays near zero for a while as the loss falls, as in the curves above.
            * `hidden` 16 against 128: after the quick run, 16 units added 0.4% of the test sums right, with answers
              of the right size, where 128 got over 99% of the validation sums in as many steps. How many does it
              take?
            * Mid-run, make the learning rate ten times higher: do the right answers stay right?

            Your network is scored on the same 10,000 test sums as the shipped one, and "Play with it" lets you type
            sums for it. From a terminal:

            ```
            mlsandbox train numbers_summation --preset quick --set steps_per_epoch=100 --set epochs=30
            ```
        """),
    ]


NOTEBOOKS = {EXPERIMENT: cells}
