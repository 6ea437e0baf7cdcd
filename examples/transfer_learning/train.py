"""Train, fine-tune and export the example's MobileNet (run in the example's own TensorFlow venv).

    python train.py            # writes model_float.tflite, model_int8.tflite, heldout.npz, results_tf.json

1. A small MobileNet (V1-style depthwise-separable blocks, ReLU6, batch norm) learns the source task,
   digits 0-4.
2. Transfer to the target task, digits 5-9: a new head on the frozen backbone, then a short pass
   with everything unfrozen at a low learning rate.
3. Export to TFLite, float and full-integer int8 (calibrated on target-task training images), and
   measure the float model's and TensorFlow Lite's int8 accuracy on the held-out target images.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits

from data import SIZE, split, upscale

HERE = Path(__file__).resolve().parent
SEED = 0
STEM_CHANNELS = 16
BLOCKS = ((32, 1), (64, 2), (64, 1), (128, 2), (128, 1))   # (pointwise channels, depthwise stride)
EPOCHS = {"source": 40, "head": 20, "unfrozen": 10}
LEARNING_RATE = {"source": 2e-3, "head": 2e-3, "unfrozen": 2e-4}
BATCH = 32
CALIBRATION_SAMPLES = 200


def backbone() -> tf.keras.Model:
    inputs = tf.keras.Input((SIZE, SIZE, 1), name="image")
    x = _conv_bn(tf.keras.layers.Conv2D(STEM_CHANNELS, 3, strides=2, padding="same", use_bias=False)(inputs))
    for channels, stride in BLOCKS:
        x = _conv_bn(tf.keras.layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x))
        x = _conv_bn(tf.keras.layers.Conv2D(channels, 1, use_bias=False)(x))
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    return tf.keras.Model(inputs, x, name="backbone")


def _conv_bn(x):
    return tf.keras.layers.ReLU(6.0)(tf.keras.layers.BatchNormalization()(x))


def classifier(features: tf.keras.Model, classes: int, name: str) -> tf.keras.Model:
    outputs = tf.keras.layers.Dense(classes, activation="softmax", name=f"{name}_head")(features.output)
    return tf.keras.Model(features.input, outputs, name=name)


def fit(model: tf.keras.Model, data, phase: str) -> None:
    model.compile(optimizer=tf.keras.optimizers.Adam(LEARNING_RATE[phase]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data
    model.fit(upscale(x), y, epochs=EPOCHS[phase], batch_size=BATCH, shuffle=True, verbose=2)


def accuracy(predict, images: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(predict(upscale(images)), axis=-1) == labels))


def export(model: tf.keras.Model, calibration: np.ndarray) -> tuple[bytes, bytes]:
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    float_model = converter.convert()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([x[None]] for x in upscale(calibration))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return float_model, converter.convert()


def tflite_int8_predict(model: bytes):
    interpreter = tf.lite.Interpreter(model_content=model)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    scale, zero_point = inp["quantization"]

    def predict(batch: np.ndarray) -> np.ndarray:
        rows = []
        for x in batch:
            q = np.clip(np.round(x / scale) + zero_point, -128, 127).astype(np.int8)
            interpreter.set_tensor(inp["index"], q[None])
            interpreter.invoke()
            rows.append(interpreter.get_tensor(out["index"])[0].astype(np.int32))
        return np.stack(rows)

    return predict


def main() -> None:
    tf.keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    digits = load_digits()
    parts = split(digits.images, digits.target)
    features = backbone()
    fit(classifier(features, 5, "source"), parts["source"], "source")
    target = classifier(features, 5, "digits_5_to_9")
    features.trainable = False
    fit(target, parts["target_train"], "head")
    features.trainable = True
    fit(target, parts["target_train"], "unfrozen")
    held_x, held_y = parts["target_heldout"]
    float_model, int8_model = export(target, parts["target_train"][0][:CALIBRATION_SAMPLES])
    results = {
        "held_out_images": int(len(held_y)),
        "keras_float_accuracy": accuracy(target.predict, held_x, held_y),
        "tflite_int8_accuracy": accuracy(tflite_int8_predict(int8_model), held_x, held_y),
        "tensorflow_version": tf.__version__,
        "epochs": EPOCHS,
    }
    (HERE / "model_float.tflite").write_bytes(float_model)
    (HERE / "model_int8.tflite").write_bytes(int8_model)
    np.savez_compressed(HERE / "heldout.npz", images=held_x.astype(np.uint8), labels=held_y.astype(np.uint8))
    (HERE / "results_tf.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
