"""The command line: mlsandbox list | fetch | train | evaluate | predict | serve."""

from __future__ import annotations

import argparse
import json
import sys

from mlsandbox import assets, experiments, runtime

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000


def cmd_list(args) -> int:
    if args.ids:
        print("\n".join(experiments.REGISTRY))
        return 0
    for e in experiments.REGISTRY.values():
        card = e.card()
        accuracy = f"{card['metrics']['accuracy']:.2%}" if card else "not trained"
        print(f"{e.id:<16} {accuracy:>12}  {e.title}")
    return 0


def cmd_fetch(args) -> int:
    chosen = [experiments.get(args.id)] if args.id else experiments.REGISTRY.values()
    wanted = list(dict.fromkeys(a for e in chosen for a in e.assets))
    missing = {a for a in wanted if not assets.is_valid(a)}
    assets.fetch(*missing)
    by_package: dict[str, list[assets.Asset]] = {}
    for asset in wanted:
        by_package.setdefault(asset.spec, []).append(asset)
    for spec, group in by_package.items():
        fetched = sum(a in missing for a in group)
        state = f"fetched {fetched} of {len(group)}" if fetched else f"ok ({len(group)})"
        where = group[0].path if len(group) == 1 else group[0].path.parent
        print(f"{spec:<24} {state:<18} {where}")
    return 0


def cmd_train(args) -> int:
    from mlsandbox import export, train

    experiment = experiments.get(args.id)
    fast = args.fast or train.fast_mode()
    split, recipe = experiment.load_data(), experiment.recipe
    if fast:
        train.use_fast_artifacts()  # keep the committed ones
        split, recipe = split.subset(train.FAST_SUBSET), train.quick(recipe)
    result = train.fit(experiment, split, recipe)
    card = export.export(experiment, split, result, command=f"mlsandbox train {experiment.id}" + " --fast" * fast)
    print(json.dumps({"id": experiment.id, **card["metrics"], "seconds": card["training"]["seconds"],
                      "artifacts": str(experiment.artifact_dir)}))
    return 0


def cmd_evaluate(args) -> int:
    experiment = experiments.get(args.id)
    metrics, _ = experiment.evaluate(experiment.load_data())
    report = {"id": experiment.id, **metrics, "split": "test", "model": str(experiment.model_path),
              "sha256": assets.sha256_of(experiment.model_path)}  # evaluate checked it against the card
    if args.json:
        print(json.dumps(report))
    else:
        print(f"{experiment.id}: " + ", ".join(f"{name} {value:.4g}" for name, value in metrics.items()
                                              if isinstance(value, float)) + " on the held-out test split")
    return 0


def cmd_predict(args) -> int:
    return experiments.get(args.id).predict(args.inputs, as_json=args.json, top=args.top)


def cmd_serve(args) -> int:
    import uvicorn

    uvicorn.run("mlsandbox.web.app:app", host=args.host, port=args.port, log_level=args.log_level)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mlsandbox", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="the experiments and their test accuracy")
    listing.add_argument("--ids", action="store_true", help="just the ids, one per line")
    listing.set_defaults(run=cmd_list)

    fetch = sub.add_parser("fetch", help="fetch and verify the pinned data files (all, or one experiment's)")
    fetch.add_argument("id", nargs="?")
    fetch.set_defaults(run=cmd_fetch)

    train = sub.add_parser("train", help="train an experiment's model and export it (ONNX, card, curves)")
    train.add_argument("id")
    train.add_argument("--fast", action="store_true", help="a small subset and one epoch, written to the cache")
    train.set_defaults(run=cmd_train)

    evaluate = sub.add_parser("evaluate", help="measure the committed model on the held-out test split")
    evaluate.add_argument("id")
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(run=cmd_evaluate)

    predict = sub.add_parser("predict", help="what the model says of each input, as the page shows it")
    predict.add_argument("id")
    predict.add_argument("inputs", nargs="+", metavar="INPUT", help="image files (classifiers) or texts")
    predict.add_argument("--json", action="store_true", help="one JSON line per input")
    predict.add_argument("--top", type=int, default=None, help="how many labels to list (default: all)")
    predict.set_defaults(run=cmd_predict)

    serve = sub.add_parser("serve", help="serve the demo pages and the JSON API")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST}: this machine only)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(run=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (experiments.UnknownExperiment, assets.AssetError, runtime.ModelUnavailable) as e:
        print(f"mlsandbox: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
