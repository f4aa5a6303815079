"""Live object detection with NanoDet, pretrained on COCO: show the room to the camera and see boxes
around the people, cups, chairs and 77 other kinds of thing it knows."""

from mlsandbox.data import coco, photos
from mlsandbox.kinds.object_detector import ObjectDetector


def import_model(experiment):
    from mlsandbox.kinds.object_detector_import import import_nanodet

    return import_nanodet(experiment)


EXPERIMENTS = (
    ObjectDetector(
        id="object_detection",
        title="Objects: NanoDet",
        summary="Show the room to the camera; a detector trained on COCO draws a box around each thing it knows.",
        family="object_detection",
        demo="detect",
        assets=photos.ASSETS,
        load_data=photos.load,
        mean=(103.53, 116.28, 123.675),
        std=(57.375, 57.12, 58.395),
        sources=(coco.LABELS,),
        import_model=import_model,
        converter="python3 tools/convert_tfjs.py nanodet",
    ),
)
