"""Photo classification with MobileNetV2, pretrained on ImageNet: upload, paste or photograph anything and
see its five most likely classes, and where in the picture the network looked."""

from mlsandbox.data import imagenet, photos
from mlsandbox.kinds.photo_classifier import PhotoClassifier


def build_net():
    from mlsandbox.nets.mobilenet_v2 import MobileNetV2

    return MobileNetV2()


def import_model(experiment):
    from mlsandbox.kinds.photo_classifier_import import import_mobilenet_v2

    return import_mobilenet_v2(experiment)


EXPERIMENTS = (
    PhotoClassifier(
        id="image_classification",
        title="Photos: MobileNetV2",
        summary="Show it a photo; a network trained on a million ImageNet photos names what it sees and shows "
                "where it looked.",
        family="image_classification",
        demo="photo",
        assets=photos.ASSETS,
        load_data=photos.load,
        build_net=build_net,
        sources=imagenet.SOURCES,
        import_model=import_model,
    ),
)
