"""Write the notebooks from their cells in notebooks/stories/, and optionally run them in place.

    python notebooks/build.py                      # write every notebook, no outputs
    python notebooks/build.py --execute            # write them, then run them in full: the committed outputs
    python notebooks/build.py --execute --fast     # the same on a small subset and one epoch (a quick check)
    python notebooks/build.py --execute digits_cnn # just one
    python notebooks/build.py --keep-outputs       # write them, keeping the committed outputs (see below)

The notebooks of one family tell the same story with two networks, so they share every cell except
the ones that introduce and inspect the network. Edit the cells in notebooks/stories/, not in the
.ipynb files; tests/test_notebooks.py checks that the committed notebooks match them.

A full run trains for real and exports to the package's artifacts (the committed model). A fast run
(MLSANDBOX_FAST=1, which --fast sets) exports to a scratch directory in the cache instead.

--keep-outputs is for changing a notebook's prose without running it again (a full run takes hours): each
code cell whose source is unchanged gets the outputs and execution count of the committed notebook's code
cell with the same source (matched in order), and the notebook keeps the committed kernel's metadata.
Markdown cells need nothing. A code cell that is new or changed is written without outputs, and listed:
run that notebook again (--execute) before committing it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from stories import digits, faces, generators, landmarks, rps, sketches, summation, text, vision  # noqa: E402

NOTEBOOKS = {  # experiment id -> its list of cells
    **digits.NOTEBOOKS, **sketches.NOTEBOOKS, **summation.NOTEBOOKS,
    **text.NOTEBOOKS, **rps.NOTEBOOKS, **landmarks.NOTEBOOKS, **generators.NOTEBOOKS,
    **vision.NOTEBOOKS, **faces.NOTEBOOKS,  # pretrained: they import, and train nothing
}
FAST_ENV = "MLSANDBOX_FAST"  # the same variable as mlsandbox.train.FAST_ENV (kept import-free here)
KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def build(experiment_id: str) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {"kernelspec": KERNEL, "language_info": {"name": "python"}}
    notebook.cells = NOTEBOOKS[experiment_id]()
    for number, cell in enumerate(notebook.cells):
        cell.id = f"{experiment_id}-{number:02d}"  # stable ids keep the diffs small
    nbformat.validate(notebook)
    return notebook


def keep_outputs(notebook: nbformat.NotebookNode, committed: nbformat.NotebookNode) -> list[int]:
    """Copy into notebook's code cells the outputs of committed's code cells with the same source, in order;
    return the numbers of the code cells that found none."""
    executed: dict[str, list[nbformat.NotebookNode]] = {}
    for cell in committed.cells:
        if cell.cell_type == "code":
            executed.setdefault(cell.source, []).append(cell)
    missing = []
    for number, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if executed.get(cell.source):
            old = executed[cell.source].pop(0)
            cell.outputs, cell.execution_count = old.outputs, old.execution_count
        else:
            missing.append(number)
    if "language_info" in committed.metadata:  # what the kernel that ran it wrote (its version, ...)
        notebook.metadata["language_info"] = committed.metadata["language_info"]
    return missing


def path_of(experiment_id: str) -> Path:
    return HERE / f"{experiment_id}.ipynb"


def execute(notebook: nbformat.NotebookNode, timeout: int | None = None) -> nbformat.NotebookNode:
    """Run a notebook top to bottom, in place, with this interpreter's ipykernel; raise on the first error.

    The kernel is this very Python (sys.executable), whatever kernelspecs the machine has installed, and it
    inherits this process's environment (MLSANDBOX_FAST, MLSANDBOX_ARTIFACTS, ...).
    """
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            spec = get_kernel_dict()  # argv starts with sys.executable
            return KernelSpec(resource_dir=RESOURCES, **{key: spec[key] for key in ("argv", "display_name", "language",
                                                                                   "metadata") if key in spec})

    manager = KernelManager(kernel_name=KERNEL["name"], kernel_spec_manager=ThisPython())
    client = NotebookClient(notebook, km=manager, timeout=timeout, coalesce_streams=True, record_timing=False,
                            resources={"metadata": {"path": str(HERE)}})
    try:
        client.execute()
    finally:  # a client given its kernel's manager leaves the kernel running (about 600 MB each)
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)
    for cell in notebook.cells:  # a progress bar that cleared itself leaves only blanks behind
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and not o.text.strip())]
    return notebook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ids", nargs="*", metavar="ID", help=f"notebooks to build (default: {' '.join(NOTEBOOKS)})")
    parser.add_argument("--execute", action="store_true", help="run each notebook and save it with its outputs")
    parser.add_argument("--fast", action="store_true", help="with --execute: a small subset and one epoch")
    parser.add_argument("--keep-outputs", action="store_true",
                        help="keep the committed outputs of every code cell whose source is unchanged")
    args = parser.parse_args(argv)
    unknown = [i for i in args.ids if i not in NOTEBOOKS]
    if unknown:
        parser.error(f"no notebook for {', '.join(unknown)}; known: {', '.join(NOTEBOOKS)}")
    if args.fast and not args.execute:
        parser.error("--fast only makes sense with --execute")
    if args.keep_outputs and args.execute:
        parser.error("--keep-outputs writes without running: leave out --execute")
    os.environ[FAST_ENV] = "1" if args.fast else "0"  # never a fast run by accident when the real one is meant

    for experiment_id in args.ids or NOTEBOOKS:
        notebook, path = build(experiment_id), path_of(experiment_id)
        if args.execute:
            print(f"running {path.name} ({'fast' if args.fast else 'full'} mode) ...", flush=True)
            started = time.perf_counter()
            execute(notebook)
            print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
        elif args.keep_outputs and path.is_file():
            missing = keep_outputs(notebook, nbformat.read(path, as_version=4))
            if missing:
                print(f"  {path.name}: no committed outputs for code cell(s) {', '.join(map(str, missing))}:"
                      f" run it with --execute", flush=True)
        nbformat.write(notebook, path)
        print(f"wrote {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
