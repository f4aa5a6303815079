"""The drawing notebooks: a DCGAN on digits and on clothes, and a conditional VAE on digits."""

import functools
import json
from pathlib import Path

from stories import code, export_cell, md, running_and_setup

IMPORTS = """
            import json
            import math

            import matplotlib.pyplot as plt
            import numpy as np
            import torch

            from mlsandbox import experiments, export, plots, train
            from mlsandbox.kinds.image_generator import Generator, Judge, spread, tiled
""".strip()

ABLATION = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


def show_data():
    """The cell that loads the split and shows twenty training pictures with their labels."""
    return code("""
        split = experiment.load_data()
        print(split.description)
        print(split.sizes())
        plots.gallery(split.x_train[:20], [experiment.labels[y] for y in split.y_train[:20]], columns=10)
        plt.show()
    """)


def show_ablation(experiment_id: str) -> list:
    """The probes' table, written into the notebook when it is built (so that probing again needs no new run)."""
    results = ABLATION / "generators_ablation.json"
    report = json.loads(results.read_text()) if results.is_file() else {}
    probes = report.get(experiment_id, [])
    if not probes:
        return [md("No probes have been run yet: `python benchmarks/ablation_generators.py`.")]
    gan = experiment_id.endswith("gan")
    lines = [f"| variant | epochs | {'Fréchet distance' if gan else '-ELBO, nats'} (validation) | "
             f"{'read with confidence' if gan else 'read as asked'} (validation) |", "|---|---:|---:|---:|"]
    lines += [f"| {p['variant']} | {p['epochs']} | {p['val_loss']:.3f} | {p['val_accuracy']:.3f} |" for p in probes]
    lines += ["", f"Measured by `{probes[0]['command']}`, on {report['machine']['cpu_count']} cores."]
    return [md("\n".join(lines))]


# ---------------------------------------------------------------------------------------------------
# The GANs: one story, told on digits and on clothes.
# ---------------------------------------------------------------------------------------------------

GANS = {
    "digits_gan": dict(
        intro="""
            # A network that draws digits: a DCGAN on MNIST

            **Experiment:** `digits_gan` · **Data:** MNIST · **Networks:** a generator and a discriminator ·
            **Demo:** a grid of digits from a seed, the path between two of them, a slider through the space

            The other digit experiments read pictures. This one draws them. A *generative adversarial
            network* (GAN) is two networks trained against each other. The *generator* turns 64 random
            numbers, a point of its *latent space*, into a 28×28 picture. The *discriminator* is shown
            pictures and says how likely each is to be a real training digit rather than one the
            generator drew. Each learns from the other's mistakes: the discriminator from being fooled,
            the generator from being caught. Nobody ever tells the generator what a 3 looks like.

            Nothing labels a drawn picture right or wrong, so this notebook measures what a person would
            ask, with `digits_cnn` (the classifier trained in `digits_cnn.ipynb`) as the judge: does a
            picture look like a digit, does the generator draw every digit or only a few, and how far are
            its pictures from real ones.
        """,
        things="digits",
        judge="digits_cnn",
        next_steps="""
            ## Ideas to try next

            * A *conditional* GAN: give both networks the digit as well, and the generator draws the digit
              asked for (the `digits_vae` notebook does this with a VAE).
            * Spectral normalisation in the discriminator instead of batch norm: a common way to keep the
              game stable without a moving average.
            * Train for longer: the Fréchet distance on validation was still falling at the end.
        """,
    ),
    "clothes_gan": dict(
        intro="""
            # A network that draws clothes: a DCGAN on Fashion-MNIST

            **Experiment:** `clothes_gan` · **Data:** Fashion-MNIST · **Networks:** a generator and a
            discriminator · **Demo:** a grid of clothes from a seed, the path between two, a slider

            The same two networks and the same game as `digits_gan.ipynb`, on Zalando's Fashion-MNIST:
            70,000 grey 28×28 pictures of ten kinds of clothes (T-shirts, trousers, pullovers, dresses,
            coats, sandals, shirts, sneakers, bags and ankle boots), made to be a harder drop-in for MNIST.
            A generative adversarial network (GAN) pairs a *generator*, which turns 64 random numbers into a
            picture, with a *discriminator*, which learns to tell its pictures from real ones.

            The judge here is `clothes_cnn`, a classifier trained on the same data (its own card reports
            its test accuracy). It reads every picture the generator draws: how many look like some kind
            of clothes, whether all ten kinds come out, and how far the pictures are from real ones.
        """,
        things="pictures of clothes",
        judge="clothes_cnn",
        next_steps="""
            ## Ideas to try next

            * Shirts, T-shirts, pullovers and coats are hard to tell apart even for the judge: its
              confusion matrix (in `clothes_cnn`'s card) shows which readings of the generator's pictures
              to trust least.
            * A wider generator (`channels` 64) draws finer textures, at about three times the cost.
            * The same recipe, unchanged, was tuned on digits: a probe of the learning rate on this data
              may find a better one.
        """,
    ),
}


def gan_cells(experiment_id: str) -> list:
    parts = GANS[experiment_id]
    return [
        md(parts["intro"]),
        *running_and_setup(experiment_id, f"it trains on all 55,000 training {parts['things']}",
                           parts["things"], IMPORTS),
        md("""
            ## The data

            The official split: 60,000 training pictures, of which 5,000 are held out for validation by a
            fixed permutation, and 10,000 test pictures that training never sees. The labels are not used
            to train the GAN at all; only the judge and the figures below read them.
        """),
        show_data(),
        md("""
            ## The two networks

            The **generator** projects the 64 numbers of a latent point to a 7×7 map of 128 channels, then
            two *transposed convolutions* each double its size (7 → 14 → 28) while narrowing it to one
            channel, a sigmoid making each pixel's ink 0..1. Batch normalisation and ReLU sit between.

            The **discriminator** is a small convolutional classifier with one output: two strided
            convolutions (28 → 14 → 7) with *leaky* ReLUs, which let a little gradient through for negative
            inputs so that the generator always hears something back, then one score, a logit, high for
            "real". This is the DCGAN design of Radford, Metz and Chintala (2016), at MNIST's size.
        """),
        code("""
            torch.manual_seed(0)
            net = experiment.build_net()
            print(net)
            for name, part in (("generator", net.generator), ("discriminator", net.discriminator)):
                print(f"{name}: {sum(p.numel() for p in part.parameters()):,} parameters")

            with torch.no_grad():
                untrained = net.generator.eval()(torch.randn(16, experiment.latent))[:, 0].numpy()
            plots.gallery(untrained, columns=8, title="what an untrained generator draws")
            plt.show()
        """),
        md("""
            ## The game

            For a batch of real pictures $x$ and as many latent points $z$ drawn from a standard normal:

            * the discriminator $D$ minimises $-\\log D(x) - \\log(1 - D(G(z)))$: call real pictures real
              and drawn ones drawn;
            * the generator $G$ minimises $-\\log D(G(z))$: be called real. (This is the "non-saturating"
              form: $\\log(1 - D(G(z)))$, the other one's mirror, has almost no gradient early on, when the
              discriminator easily wins.)

            Both are written with `softplus` on the logits, which is the same thing computed safely. The
            one training loop (`train.fit`) takes one loss per step, so the two networks take turns: on odd
            steps the discriminator's loss (the drawn pictures made without tracking the generator), on even
            steps the generator's, which reads the discriminator through weights it cannot move. The other
            network's weights get no gradient, and the optimiser leaves them be. The generator learns at 1e-3,
            five times DCGAN's rate, and the discriminator at a fifth of that (as in InfoGAN's MNIST recipe):
            with both at DCGAN's 2e-4, the discriminator soon called 99% of pictures right and the generator
            learned little. The discriminator is also asked to be at most 90% sure of a real picture
            (*one-sided label smoothing*). Both use Adam with a first beta of 0.5 (a shorter memory of past
            gradients, for a target that keeps moving), with a short warm-up and a schedule that ends low.

            What is shipped is not the last generator but a *moving average* of its weights over the
            last thousand or so steps: the game makes the weights circle around a good point, and their
            average sits closer to it.
        """),
        code("""
            print(experiment.recipe)
        """),
        md(f"""
            ## Training, with pictures at each stage

            Every epoch ends with a validation: the generator (the moving average) draws 2,000 pictures,
            the judge reads them, and the *Fréchet distance* between them and the 5,000 validation
            pictures is measured in the judge's feature space (explained below). The epoch with the
            smallest distance is kept. Meanwhile the same 16 latent points are drawn at a few moments of
            training, so we can watch the generator learn to draw. At the same moments the judge reads
            1,000 pictures, to see whether the generator draws every kind of thing: if it starts drawing
            only a few, that is *mode collapse*.
        """),
        code("""
            if FAST:
                data, recipe = split.subset(train.FAST_SUBSET), train.quick(experiment.recipe)
            else:
                data, recipe = split, experiment.recipe
            steps = recipe.epochs * math.ceil(len(data.y_train) / recipe.batch_size)
            moments = sorted({s for s in (1, 50, 200, 500, 1000, 2000, steps // 2, steps) if s <= steps})
            fixed = torch.from_numpy(np.random.default_rng(1).standard_normal((16, experiment.latent), dtype=np.float32))
            watched = torch.from_numpy(np.random.default_rng(2).standard_normal((1000, experiment.latent), dtype=np.float32))
            judge = Judge(experiment.judge)
            snapshots, spreads = {}, {}

            def look(model, step):
                if step in moments:
                    with torch.no_grad():
                        snapshots[step] = model.eval()(fixed)[:, 0].numpy()
                        readings = judge(model(watched)[:, 0].numpy()).argmax(1)
                    spreads[step] = spread(readings, len(experiment.labels))

            print(f"training on {data.sizes()['train']:,} pictures for {recipe.epochs} epoch(s), {steps:,} steps")
            result = train.fit(experiment, data, recipe, on_step=look)
            best = result.history[result.best_epoch - 1]
            print(f"\\nbest epoch {result.best_epoch}: Fréchet distance on validation {best['val_loss']:.3f}"
                  f" ({result.seconds:.0f} s on {result.device})")
        """),
        code("""
            figure, axes = plt.subplots(len(snapshots), 1, figsize=(8, 1.25 * len(snapshots)))
            for axis, (step, pictures) in zip(np.atleast_1d(axes), snapshots.items()):
                axis.imshow(1 - tiled(pictures, 16), cmap="gray", vmin=0, vmax=1)
                axis.set_title(f"step {step:,}: class spread {spreads[step]:.2f}", fontsize=9, loc="left")
                axis.axis("off")
            plt.tight_layout()
            plt.show()
        """),
        md("""
            At step 1 the generator draws grey noise. Within a few hundred steps blobs of ink appear in the
            middle, where every training picture has its ink; strokes follow, and then shapes a person can
            name. The last rows change little: the schedule has brought the learning rate down.

            The curves: the two losses per epoch (the discriminator's is the sum of its two terms), its
            share of right calls on real and drawn pictures, and the validation figures. A GAN's losses do
            not fall the way a classifier's do: each network's loss is the other's gain, so they settle
            near a balance. Only the validation figures say whether the pictures got better.
        """),
        code("""
            epochs = [h["epoch"] for h in result.history]
            figure, (left, middle, right) = plt.subplots(1, 3, figsize=(13, 3.2))
            left.plot(epochs, [h["train_loss"] for h in result.history], marker="o")
            left.set_title("both losses, summed (training)")
            middle.plot(epochs, [h["train_accuracy"] for h in result.history], marker="o", label="discriminator right")
            middle.plot(epochs, [h["val_accuracy"] for h in result.history], marker="o", label="drawn, read with confidence")
            middle.set_ylim(0, 1)
            middle.legend()
            right.plot(epochs, [h["val_loss"] for h in result.history], marker="o", color="tab:red")
            right.set_title("Fréchet distance on validation (lower is better)")
            for axis in (left, middle, right):
                axis.set_xlabel("epoch")
            plt.tight_layout()
            plt.show()
        """),
        md("""
            ## Export

            The page runs the generator alone, with ONNX Runtime: `export.export` converts it (a latent
            point in, a picture out), checks that ONNX Runtime and PyTorch draw the same pictures from the
            same points, measures it as below and writes the card. The discriminator's work is done; it is
            not shipped.
        """),
        export_cell("metrics", "parameters", "model"),
        md(f"""
            ## How good are its pictures?

            There are no labels to score a drawn picture against. These figures answer what a person would
            ask, on 10,000 pictures drawn from the seed 0, with `{parts['judge']}` as the judge. `evaluate`
            computes them from the exported file, exactly as the card has them:

            * **Does it look like the thing it should?** The share of pictures the judge reads with a
              probability of at least 0.9.
            * **Does it draw every kind, or only a few?** The *class spread*: the entropy of the kinds the
              judge reads among the 10,000, over log 10. It is 1 when every kind comes out equally often,
              and 0 when the generator draws one kind only.
            * **How far is it from real pictures?** The *Fréchet distance*: fit a Gaussian to the judge's
              features (the 128 numbers its last layer reads) of the drawn pictures and one to those of the
              10,000 test pictures, and measure how far apart the two are, means and spreads together. It
              is not the Inception FID of the papers (a different network, different features, different
              data), and cannot be compared with published numbers. What makes it mean something is the
              figure beside it: the same distance between 10,000 *training* pictures and the test pictures,
              the *floor* that even perfect drawings would show.
        """),
        code("""
            metrics = card["metrics"]
            print(f"{metrics['confident']:.1%} of {metrics['samples']:,} pictures read with confidence >= 0.9 by {metrics['judge']}")
            print(f"class spread {metrics['class_spread']:.3f}")
            print(f"Fréchet distance {metrics['frechet']:.3f}; training to test (the floor) {metrics['frechet_floor']:.3f};"
                  f" ratio {metrics['frechet_ratio']:.1f}")

            model = Generator(experiment, experiment.model_path)
            pictures = model.draw(*model.chosen(0, 40))
            probabilities = judge(pictures)
            titles = [f"{experiment.labels[p.argmax()]} {p.max():.0%}" for p in probabilities]
            plots.gallery(pictures, titles, columns=10, size=1.2, title="drawn from seed 0, as the judge reads them")
            plt.show()

            plt.figure(figsize=(8, 2.6))
            plt.bar(experiment.labels, metrics["class_shares"])
            plt.axhline(0.1, color="grey", linestyle=":")
            plt.xticks(rotation=30, ha="right")
            plt.title("what the judge reads among 10,000 drawn pictures (dotted: a tenth each)")
            plt.tight_layout()
            plt.show()
        """),
        md("""
            ## Mode collapse

            A generator can win the game by drawing a few kinds of picture very well: the discriminator
            then learns to reject those, the generator moves to a few others, and so on. That is *mode
            collapse*, and the class spread is where it shows. The spread measured during training (the
            titles of the pictures above) and at the end (the card) says whether it happened in this run.
        """),
        code("""
            plt.figure(figsize=(6, 2.6))
            plt.plot(list(spreads), list(spreads.values()), marker="o")
            plt.xscale("log")
            plt.ylim(0, 1.02)
            plt.xlabel("step")
            plt.ylabel("class spread")
            plt.title("does it draw every kind? (1: all equally often)")
            plt.tight_layout()
            plt.show()
        """),
        md("""
            What is meant to keep it away here: batch normalisation in the discriminator (it sees a batch of
            drawn pictures together, so a batch of near-copies looks unlike a batch of real ones), a
            discriminator that does not win too easily (label smoothing, a slower rate), a learning rate that
            ends low, and the moving average of the generator, which blends many recent generators rather
            than keeping the last one. The probes below train each recipe for the same two epochs on digits
            and score it on validation (`benchmarks/ablation_generators.py`): the Fréchet distance (lower is
            better) and the share read with confidence. What they show: the generator's faster rate bought the
            most, and with both networks at DCGAN's 2e-4 the generator had barely started; with Adam's usual
            first beta of 0.9 the game fell apart (a distance six times the recipe's). Label smoothing and
            the moving average bought nothing that early (the distance was a little lower without them); the
            full run was not repeated without them, so what they buy over sixteen epochs is not measured.
        """),
        *show_ablation("digits_gan"),
        md(parts["next_steps"]),
        md(f"""
            ## Try it in the lab

            `make lab` starts the demo with training on: "Train it yourself" on this page holds the recipe as
            a form, and **Quick** trains for three epochs. The panel draws the same 32 latent points after
            every epoch, so you watch the generator learn to draw, with both networks' losses.

            * `learning_rate` 0.002, ten times the shipped rate: does the game stay balanced?
            * `channels` 8: a generator a sixteenth the size. How far does the Fréchet distance go?
            * `fraction` 0.01 (550 pictures): the discriminator can learn them by heart. What does the
              generator draw then?

            From a terminal: `mlsandbox train {experiment_id} --preset quick --set learning_rate=0.002`.
        """),
    ]


# ---------------------------------------------------------------------------------------------------
# The conditional VAE.
# ---------------------------------------------------------------------------------------------------


def vae_cells(experiment_id: str) -> list:
    return [
        md("""
            # A space of digits to walk through: a conditional VAE

            **Experiment:** `digits_vae` · **Data:** MNIST · **Networks:** an encoder and a decoder ·
            **Demo:** move across a plane of handwriting styles, pick the digit, draw your own and see
            where it lands

            A *variational autoencoder* (VAE) learns two networks together. The *encoder* reads a picture
            and places it in a small *latent space*: not at a point, but at a little cloud around one. The
            *decoder* draws a picture back from any point of that space. Trained so that the clouds stay
            close to a standard normal and the drawings stay close to the pictures, the decoder learns to
            draw something sensible from *every* point, and nearby points give similar pictures.

            This one is *conditional*: both networks are also told which digit the picture is. The latent
            space then does not need to hold which digit it is, only how it is written: slant, width,
            thickness. With only two latent numbers, that space is a plane a person can walk across, which
            is what the page does. `digits_cnn` (trained in `digits_cnn.ipynb`) judges whether what it draws
            for a 3 reads as a 3.
        """),
        *running_and_setup(experiment_id, "it trains on all 55,000 training digits", "digits", IMPORTS),
        md("""
            ## The data

            MNIST's official split: 55,000 training digits, 5,000 for validation (a fixed permutation of the
            official training set), and the 10,000 official test digits, which training never sees. The
            labels are used this time: they are the condition.
        """),
        show_data(),
        md("""
            ## The encoder, the decoder, and the two terms of the loss

            The **encoder** is two strided convolutions (28 → 14 → 7), then a dense layer that also reads
            the digit as ten weights (one-hot), and gives the *mean* and *log-variance* of the picture's
            cloud in the 2-D latent space. The **decoder** reads a latent point with the ten weights and
            undoes that: a dense layer to a 7×7 map, then two transposed convolutions back to 28×28, one
            logit per pixel.

            For a training picture $x$ of digit $y$, the encoder gives $\\mu, \\sigma$; one point
            $z = \\mu + \\sigma\\,\\varepsilon$ is drawn with $\\varepsilon$ from a standard normal (the
            *reparameterisation*: the randomness sits outside, so gradients flow through $\\mu$ and
            $\\sigma$), and the decoder draws from $z$. The loss, in nats per picture, is the negative
            *evidence lower bound* (ELBO), two terms:

            * **reconstruction**: $-\\log p(x \\mid z, y)$, each pixel's ink read as the probability of a
              coin (binary cross-entropy, summed over the 784 pixels): how unlikely the picture is under the
              decoder;
            * **KL**: $\\mathrm{KL}(\\mathcal{N}(\\mu, \\sigma^2) \\,\\|\\, \\mathcal{N}(0, 1))$: how far the
              picture's cloud is from the standard normal the decoder will later be asked to draw from.

            The first alone would give a plain autoencoder with a space full of holes; the second alone
            would put every picture at the origin. Together they make a space with no holes. `kl_weight`
            (1 in the shipped recipe, which is the ELBO itself) sets the balance.
        """),
        code("""
            torch.manual_seed(0)
            net = experiment.build_net()
            print(net)
            for name, part in (("encoder", net.encoder), ("decoder", net.decoder)):
                print(f"{name}: {sum(p.numel() for p in part.parameters()):,} parameters")
            print(experiment.recipe)
        """),
        md("""
            ## Training, with pictures at each stage

            Each epoch ends with a validation: the negative ELBO on the 5,000 validation digits (the epoch
            with the lowest is kept), and the share of 2,000 digits drawn from random latent points, each
            digit in turn, that the judge reads as the digit asked for. Meanwhile the decoder draws the
            same ten digits from the same four latent points at a few moments of training.
        """),
        code("""
            if FAST:
                data, recipe = split.subset(train.FAST_SUBSET), train.quick(experiment.recipe)
            else:
                data, recipe = split, experiment.recipe
            steps = recipe.epochs * math.ceil(len(data.y_train) / recipe.batch_size)
            moments = sorted({s for s in (1, 50, 200, 1000, steps // 2, steps) if s <= steps})
            points = torch.from_numpy(np.random.default_rng(1).standard_normal((4, 2), dtype=np.float32)).repeat_interleave(10, 0)
            digits = torch.nn.functional.one_hot(torch.arange(40) % 10, 10).float()
            snapshots = {}

            def look(model, step):
                if step in moments:
                    with torch.no_grad():
                        snapshots[step] = model.eval()(points, digits)[:, 0].numpy()

            print(f"training on {data.sizes()['train']:,} digits for {recipe.epochs} epoch(s), {steps:,} steps")
            result = train.fit(experiment, data, recipe, on_step=look)
            best = result.history[result.best_epoch - 1]
            print(f"\\nbest epoch {result.best_epoch}: -ELBO on validation {best['val_loss']:.2f} nats,"
                  f" {best['val_accuracy']:.1%} of drawn digits read as asked ({result.seconds:.0f} s on {result.device})")
        """),
        code("""
            figure, axes = plt.subplots(1, len(snapshots), figsize=(2.6 * len(snapshots), 1.6))
            for axis, (step, pictures) in zip(np.atleast_1d(axes), snapshots.items()):
                axis.imshow(1 - tiled(pictures, 10), cmap="gray", vmin=0, vmax=1)
                axis.set_title(f"step {step:,}", fontsize=9)
                axis.axis("off")
            plt.tight_layout()
            plt.show()

            epochs = [h["epoch"] for h in result.history]
            figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
            left.plot(epochs, [h["train_loss"] for h in result.history], marker="o", label="training")
            left.plot(epochs, [h["val_loss"] for h in result.history], marker="o", label="validation")
            left.set_title("-ELBO, nats per digit")
            left.legend()
            right.plot(epochs, [h["val_accuracy"] for h in result.history], marker="o")
            right.set_title("drawn digits read as asked (validation)")
            for axis in (left, right):
                axis.set_xlabel("epoch")
            plt.tight_layout()
            plt.show()
        """),
        md("""
            Each column is one digit, each row one latent point. Early on every digit is the same grey
            blur; the decoder first learns where ink goes for each digit, then the strokes. Along a row
            the *style* stays: the same latent point gives a slanted or upright, thin or bold version of
            every digit.

            ## Export

            The page needs both networks: the decoder (a latent point and ten weights in, the picture and
            its logits out) as `model.onnx`, and the encoder as `encoder.onnx`, pinned by the card beside
            it. `export.export` checks both against PyTorch and measures them as below.
        """),
        export_cell("metrics", "parameters", "model"),
        md("""
            ## How good is it?

            From the exported files, on the held-out test digits, as `mlsandbox evaluate digits_vae` gives
            them:

            * **Does a digit drawn for 3 read as a 3?** 10,000 digits, 1,000 of each, drawn from random
              latent points: the share `digits_cnn` reads as the digit asked for (overall and per digit).
            * **How well does it model real digits?** The negative ELBO on the 10,000 test digits, in nats per
              digit (an upper bound on $-\\log p(x \\mid y)$; lower is better), with its two terms, and the
              mean squared error per pixel of each test digit redrawn from its mean point.
            * The GANs' figures too: confidence, class spread (1 by construction here, as every digit is
              asked for equally), and the Fréchet distance in `digits_cnn`'s feature space beside its floor.
        """),
        code("""
            metrics = card["metrics"]
            print(f"{metrics['readability']:.2%} of {metrics['samples']:,} drawn digits read as the digit asked for")
            print("per digit:", ", ".join(f"{d}: {r:.1%}" for d, r in enumerate(metrics["readability_per_class"])))
            print(f"-ELBO {metrics['neg_elbo_nats']:.2f} nats per test digit = reconstruction"
                  f" {metrics['reconstruction_nats']:.2f} + KL {metrics['kl_nats']:.2f};"
                  f" reconstruction error {metrics['reconstruction_mse']:.4f} per pixel")
            print(f"confident {metrics['confident']:.1%}; Fréchet distance {metrics['frechet']:.3f}"
                  f" (floor {metrics['frechet_floor']:.3f}, ratio {metrics['frechet_ratio']:.1f})")

            model = Generator(experiment, experiment.model_path)
            tests = data.x_test[:10]
            weights = np.eye(10, dtype=np.float32)[data.y_test[:10]]
            mean, _ = model.encode_all(tests, weights)
            plots.gallery(np.concatenate([tests, model.decode(mean, weights)]), columns=10, size=1.1,
                          title="test digits (top) and the decoder's drawing at the encoder's point (bottom)")
            plt.show()
        """),
        md("""
            ## The plane of styles

            Every point of the plane, decoded as one digit: this is what the page's latent plane shows under
            the pointer. Across it, the digit leans, widens and thickens smoothly; there are no holes,
            which is what the KL term bought. The same plane for another digit shows the *same* styles in
            the same places.
        """),
        code("""
            axis_values = np.linspace(-2.5, 2.5, 11, dtype=np.float32)
            grid = np.array([[x, -y] for y in axis_values for x in axis_values], dtype=np.float32)
            figure, axes = plt.subplots(1, 2, figsize=(10, 5))
            for axis, digit in zip(axes, (3, 8)):
                pictures = model.draw(grid, np.eye(10, dtype=np.float32)[np.full(len(grid), digit)])
                axis.imshow(1 - tiled(pictures, 11, gap=0), cmap="gray", vmin=0, vmax=1)
                axis.set_title(f"digit {digit}, latent plane from -2.5 to 2.5")
                axis.axis("off")
            plt.tight_layout()
            plt.show()

            mix = np.linspace(0, 1, 10, dtype=np.float32)[:, None]
            weights = (1 - mix) * np.eye(10, dtype=np.float32)[3] + mix * np.eye(10, dtype=np.float32)[8]
            plots.gallery(model.decode(np.repeat(mean[:1], 10, 0), weights), columns=10, size=1.1,
                          title="the first test digit's style, morphing from a 3 into an 8 (the ten weights mixed)")
            plt.show()
        """),
        md("""
            ## Collapse, a VAE's way

            A VAE does not collapse onto a few kinds of picture as a GAN can; its own failure is *posterior
            collapse*: the decoder learns to ignore the latent point (here it could, since it is told the
            digit), and the KL term falls to zero. The KL term above, in nats per digit, says it did not:
            the two latent numbers carry the style. Raising `kl_weight` pushes towards collapse (every style
            the same, average digit); lowering it towards a plain autoencoder, whose random points draw
            worse. The probes below (two epochs each, by `benchmarks/ablation_generators.py`, scored on
            validation: the -ELBO, and the share of drawn digits read as asked) show what the choices bought.
            Without the KL term, digits drawn from random points were read as asked only three times in four;
            four times the KL term drew more readable digits, more alike and more average, at a worse ELBO;
            a quarter of the dense units cost two nats.
        """),
        *show_ablation(experiment_id),
        md("""
            ## Ideas to try next

            * More latent numbers (8 or 16) model the digits better (a lower -ELBO) but can no longer be
              walked as a plane.
            * An unconditional VAE on the same data: the plane then has to hold the digit too, and regions of
              it blend one digit into the next.
            * Pixels as Bernoulli coins is a convenient fiction for grey pictures; a continuous likelihood
              (a discretised logistic, say) is more honest.

            ## Try it in the lab

            `make lab` starts the demo with training on: "Train it yourself" on this page holds the recipe,
            and **Quick** trains for three epochs, drawing ten digits from four latent points after each.

            * `kl_weight` 0: a plain autoencoder. The reconstruction gets better; what do random points draw?
            * `kl_weight` 4: the styles fade and every digit drifts towards its average.
            * `hidden` 16: how small can the dense layers get before the digits blur?

            From a terminal: `mlsandbox train digits_vae --preset quick --set kl_weight=0`.
        """),
    ]


NOTEBOOKS = {
    **{experiment_id: functools.partial(gan_cells, experiment_id) for experiment_id in GANS},
    "digits_vae": functools.partial(vae_cells, "digits_vae"),
}
