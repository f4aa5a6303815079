"""Faces and their expressions, live from the camera: BlazeFace finds each face, and a small network trained
on FER2013 gives the chance of seven expressions."""

from mlsandbox.data import faces
from mlsandbox.kinds.face_reader import FaceReader


def import_model(experiment):
    from mlsandbox.kinds.face_reader_import import import_face_reader

    return import_face_reader(experiment)


EXPERIMENTS = (
    FaceReader(
        id="emotions",
        title="Emotions: faces and expressions",
        summary="Show your face to the camera: each face is boxed, and a network reads its expression.",
        family="emotions",
        demo="faces",
        assets=faces.ASSETS,
        load_data=faces.load,
        labels=("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"),
        sources=(faces.EXPRESSION_NAMES,),
        import_model=import_model,
        converter="python3 tools/convert_tfjs.py blazeface && python3 tools/convert_tfjs.py emotion",
    ),
)
