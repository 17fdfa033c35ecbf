"""Writes the Keras fixtures into scanner/keras/testdata/.

Run from the repository root with Debian's interpreter:

    /usr/bin/python3 testdata/gen/keras_fixtures.py

Needs python3-h5py (3.7.0, HDF5 1.10.8 on bookworm) and python3-numpy
(`apt-get install -y python3-h5py python3-numpy`). Keras and TensorFlow are
not needed and not used: every file is assembled by hand in the exact shape
the real writers produce.

Outputs (the rule IDs each must yield are listed in keras_test.go):
  *.keras   Keras 3 archives as keras.saving.save_model writes them: a stored
            zip of metadata.json, config.json and model.weights.h5 (h5py), with
            config.json in the Keras 3 serialisation shape ({"module",
            "class_name", "config", "registered_name", ...} at every level);
  *.zip     the same archive under a name that does not say .keras;
  *.h5      TF-Keras 2 `model.save("x.h5")` files: root attributes
            backend, keras_version, model_config (and training_config) written
            with h5py exactly as TF-Keras writes them (bytes, which h5py 3
            stores as variable-length strings in a global heap), weights under
            model_weights/<layer>/<layer>/<weight>:0; and variants.

SAFETY. Nothing here loads, unmarshals or runs anything. The "bytecode" in
Lambda fixtures is base64 of an inert byte string that merely starts with
the marshal code-object byte; commands, URLs and paths are inert
(`echo modelgate-fixture`, example.invalid, /nonexistent).

Determinism: fixed zip timestamps, fixed metadata dates, HDF5 files written
without object timestamps (track_times=False, libver="earliest" unless a
fixture needs the newer format, whose times the script zeroes), seeded data,
and the output directory is recreated, so re-running it yields
byte-identical files.
"""
import base64
import io
import json
import os
import shutil
import zipfile

import h5py
import numpy as np

OUT = os.path.join("scanner", "keras", "testdata")
FIXED_TIME = (2024, 1, 1, 0, 0, 0)
CMD = "echo modelgate-fixture"
# Inert stand-in for marshal.dumps(code): 0xe3 is marshal's TYPE_CODE|FLAG_REF
# byte, the rest is text. Keras 2 (codecs base64) wraps lines at 76 columns.
FAKE_CODE = base64.encodebytes(b"\xe3" + b"modelgate inert fixture, not a code object " * 3).decode("ascii")
FAKE_CODE_V3 = base64.b64encode(b"\xe3" + b"modelgate inert fixture, not a code object").decode("ascii")


# --- Keras 3 serialisation shapes ---------------------------------------------

def obj(module, class_name, config, registered_name=None, **extra):
    d = {"module": module, "class_name": class_name, "config": config, "registered_name": registered_name}
    d.update(extra)
    return d


def dtype_policy():
    return obj("keras", "DTypePolicy", {"name": "float32"})


def initializer(name, config=None):
    return obj("keras.initializers", name, config if config is not None else {})


def dense(name, units, activation="linear", input_shape=None):
    cfg = {
        "name": name, "trainable": True, "dtype": dtype_policy(), "units": units,
        "activation": activation, "use_bias": True,
        "kernel_initializer": initializer("GlorotUniform", {"seed": None}),
        "bias_initializer": initializer("Zeros"),
        "kernel_regularizer": None, "bias_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None,
    }
    extra = {"build_config": {"input_shape": input_shape}} if input_shape else {}
    return obj("keras.layers", "Dense", cfg, **extra)


def input_layer(name, shape):
    return obj("keras.layers", "InputLayer", {
        "batch_shape": [None] + list(shape), "dtype": "float32", "sparse": False, "name": name})


def layer(class_name, name, config, module="keras.layers", registered_name=None):
    cfg = {"name": name, "trainable": True, "dtype": dtype_policy()}
    cfg.update(config)
    return obj(module, class_name, cfg, registered_name)


def sequential(layers, name="sequential", input_shape=(8,)):
    return obj("keras", "Sequential", {
        "name": name, "trainable": True, "dtype": dtype_policy(),
        "layers": [input_layer("input_layer", input_shape)] + layers,
        "build_input_shape": [None] + list(input_shape),
    }, build_config={"input_shape": [None] + list(input_shape)},
        compile_config={
            "optimizer": obj("keras.optimizers", "Adam", {
                "name": "adam", "learning_rate": 0.0010000000474974513, "weight_decay": None,
                "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
                "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                "loss_scale_factor": None, "gradient_accumulation_steps": None,
                "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}),
            "loss": "sparse_categorical_crossentropy", "loss_weights": None,
            "metrics": ["accuracy"], "weighted_metrics": None, "run_eagerly": False,
            "steps_per_execution": 1, "jit_compile": False})


def keras_tensor(shape, history):
    return {"class_name": "__keras_tensor__", "config": {
        "shape": shape, "dtype": "float32", "keras_history": history}}


def functional():
    """A small Keras 3 Functional CNN: Input -> Conv2D -> Flatten -> Dense."""
    conv = obj("keras.layers", "Conv2D", {
        "name": "conv2d", "trainable": True, "dtype": dtype_policy(), "filters": 4,
        "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "data_format": "channels_last",
        "dilation_rate": [1, 1], "groups": 1,
        "activation": "relu", "use_bias": True,
        "kernel_initializer": initializer("HeNormal", {"seed": 7}),
        "bias_initializer": initializer("Zeros"),
        "kernel_regularizer": obj("keras.regularizers", "L2", {"l2": 0.0001}),
        "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None},
        build_config={"input_shape": [None, 8, 8, 1]}, name="conv2d",
        inbound_nodes=[{"args": [keras_tensor([None, 8, 8, 1], ["input_layer", 0, 0])], "kwargs": {}}])
    flat = obj("keras.layers", "Flatten", {"name": "flatten", "trainable": True,
                                           "dtype": dtype_policy(), "data_format": "channels_last"},
               build_config={"input_shape": [None, 6, 6, 4]}, name="flatten",
               inbound_nodes=[{"args": [keras_tensor([None, 6, 6, 4], ["conv2d", 0, 0])], "kwargs": {}}])
    out = dense("dense", 10, "softmax", [None, 144])
    out.update(name="dense", inbound_nodes=[{"args": [keras_tensor([None, 144], ["flatten", 0, 0])], "kwargs": {}}])
    inp = input_layer("input_layer", (8, 8, 1))
    inp.update(name="input_layer", inbound_nodes=[])
    return obj("keras.src.models.functional", "Functional", {
        "name": "functional", "trainable": True,
        "layers": [inp, conv, flat, out],
        "input_layers": [["input_layer", 0, 0]], "output_layers": [["dense", 0, 0]],
    }, registered_name="Functional", build_config={"input_shape": None})


# --- Keras 3 archive -----------------------------------------------------------

def weights_h5(layers):
    """model.weights.h5 as Keras 3's H5IOStore lays it out."""
    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    with h5py.File(buf, "w", track_order=False) as f:
        lg = f.create_group("layers", track_order=False)
        for name, shapes in layers:
            vg = lg.create_group(name).create_group("vars")
            for i, shape in enumerate(shapes):
                vg.create_dataset(str(i), data=rng.standard_normal(shape).astype("float32"), track_times=False)
        f.create_group("optimizer").create_group("vars")
        f.create_group("vars")
    return buf.getvalue()


def zinfo(name):
    zi = zipfile.ZipInfo(name, FIXED_TIME)
    zi.compress_type = zipfile.ZIP_STORED
    zi.external_attr = 0o600 << 16
    return zi


def write_keras(name, config, members=None, version="3.6.0", config_first=False):
    members = members if members is not None else {}
    metadata = json.dumps({"keras_version": version, "date_saved": "2024-01-01@00:00:00"}).encode()
    entries = [("metadata.json", metadata)]
    if config is not None:  # None: an archive without config.json
        cfg = config if isinstance(config, bytes) else json.dumps(config).encode()
        entries.insert(0 if config_first else 1, ("config.json", cfg))
    entries.append(("model.weights.h5", weights_h5([("dense", [(8, 4), (4,)])])))
    entries.extend(members.items())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for member, data in entries:
            zf.writestr(zinfo(member), data)
    write(name, buf.getvalue())


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def lambda_v3(name, fn):
    return layer("Lambda", name, {"function": fn, "arguments": {}})


def fnref(module, name):
    return obj(module, "function", name, "function")


def keras_archives():
    base_layers = [dense("dense", 16, "relu", [None, 8]), dense("dense_1", 4, "softmax", [None, 16])]
    write_keras("sequential.keras", sequential(base_layers))
    write_keras("functional.keras", functional())
    write_keras("functional-config-first.zip", functional(), config_first=True)

    code = {"class_name": "__lambda__", "config": {"code": FAKE_CODE_V3, "defaults": None, "closure": None}}
    write_keras("lambda.keras", sequential([dense("dense", 16, "relu"), lambda_v3("lambda", code)]))
    # Generic __lambda__ (a lambda passed where a function is expected).
    generic = {"class_name": "__lambda__", "config": {"value": [FAKE_CODE_V3, None, None]}}
    d = dense("dense", 16)
    d["config"]["activation"] = generic
    write_keras("lambda-activation.keras", sequential([d]))

    # CVE-2025-1550: modules outside the Keras namespaces.
    d = dense("dense", 16)
    d["config"]["activation"] = obj("os", "system", {"command": CMD})
    write_keras("module-os.keras", sequential([d]))
    write_keras("module-subprocess.keras", sequential([
        dense("dense", 16), layer("Popen", "popen", {"args": ["sh", "-c", CMD]}, module="subprocess")]))
    write_keras("module-external.keras", sequential([
        dense("dense", 16),
        layer("FancyDense", "fancy_dense", {"units": 4}, module="mypkg.layers", registered_name="mypkg>FancyDense")]))
    d = dense("dense", 16)
    d["config"]["activation"] = fnref("mypkg.activations", "swish2")
    write_keras("function-external.keras", sequential([d]))
    write_keras("custom-object.keras", sequential([
        dense("dense", 16),
        layer("ScaleLayer", "scale_layer", {"scale": 2.0}, module="__main__", registered_name="MyLayers>ScaleLayer")]))
    # Keras Hub objects are registered as keras_hub>Name: not custom.
    write_keras("keras-hub.keras", obj("keras_hub.src.models.gemma.gemma_backbone", "GemmaBackbone", {
        "name": "gemma_backbone", "trainable": True, "vocabulary_size": 256, "num_layers": 2,
        "num_query_heads": 2, "num_key_value_heads": 1, "hidden_dim": 16, "intermediate_dim": 32,
        "head_dim": 8, "layer_norm_epsilon": 1e-06, "dropout": 0}, "keras_hub>GemmaBackbone"))

    # tf.keras 2.13+ writes .keras too; TFOpLambda names a TensorFlow symbol.
    write_keras("tfoplambda.keras", sequential([
        dense("dense", 16),
        obj("keras.layers", "TFOpLambda", {"name": "tf.math.multiply", "trainable": True,
                                            "dtype": "float32", "function": "math.multiply"})]), version="2.15.0")
    # CVE-2025-49655: TorchModuleWrapper unpickles its module.
    write_keras("torch-module-wrapper.keras", sequential([
        layer("TorchModuleWrapper", "torch_module_wrapper", {
            "module": {"class_name": "__bytes__", "config": {"value": "PK\u0003\u0004 modelgate inert fixture"}}})]),
        version="3.8.0")
    # CVE-2025-9906: a Lambda calling keras.config.enable_unsafe_deserialization.
    write_keras("enable-unsafe.keras", sequential([
        dense("dense", 16), lambda_v3("lambda", fnref("keras.config", "enable_unsafe_deserialization"))]))
    # CVE-2025-8747: keras.utils.get_file as a download gadget.
    gf = lambda_v3("lambda", fnref("keras.utils", "get_file"))
    gf["config"]["arguments"] = {"origin": "https://example.invalid/payload", "fname": "/nonexistent/payload",
                                 "cache_dir": "/nonexistent"}
    write_keras("get-file.keras", sequential([dense("dense", 16), gf]))

    write_keras("malformed-config.keras", b'{"module": "keras", "class_name": "Sequential", "config": {')
    write_keras("missing-config.keras", None)
    write_keras("not-object-config.keras", b'["keras", "Sequential"]')
    # Python's json accepts NaN and a UTF-16 document; Keras loads both.
    nan = sequential([dense("dense", 16), lambda_v3("lambda", code)])
    nan["compile_config"]["optimizer"]["config"]["clipvalue"] = float("nan")
    write_keras("lambda-nan.keras", json.dumps(nan).encode())
    write_keras("lambda-utf16.keras", json.dumps(sequential([lambda_v3("lambda", code)])).encode("utf-16"))
    # Keys escaped and out of order: only a real parser sees the Lambda.
    write_keras("lambda-escaped.keras", (
        b'{"config": {"layers": [{"config": {"name": "lambda", "function": {"config": {"code": "'
        + FAKE_CODE_V3.encode() + b'"}, "cl\\u0061ss_name": "__lambda__"}}, "class_name": "Lambda",'
        b' "module": "keras.layers"}]}, "class_name": "Sequential", "module": "keras"}'))


# --- TF-Keras 2 HDF5 -----------------------------------------------------------

def v2_dense(name, units, activation="linear", input_shape=None):
    cfg = {"name": name, "trainable": True, "dtype": "float32"}
    if input_shape:
        cfg["batch_input_shape"] = [None] + list(input_shape)
    cfg.update({
        "units": units, "activation": activation, "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None})
    return {"class_name": "Dense", "config": cfg}


def v2_lambda(name, function, function_type="lambda", module="__main__",
              output_shape=None, output_shape_type="raw", output_shape_module=None):
    return {"class_name": "Lambda", "config": {
        "name": name, "trainable": True, "dtype": "float32",
        "function": function, "function_type": function_type, "module": module,
        "output_shape": output_shape, "output_shape_type": output_shape_type,
        "output_shape_module": output_shape_module, "arguments": {}}}


def v2_sequential(layers, name="sequential"):
    return {"class_name": "Sequential", "config": {"name": name, "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 8], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "dense_input"}}] + layers}}


TRAINING_CONFIG = {"loss": "sparse_categorical_crossentropy", "metrics": [[{"class_name": "MeanMetricWrapper", "config": {
    "name": "accuracy", "dtype": "float32", "fn": "sparse_categorical_accuracy"}}]], "weighted_metrics": None,
    "loss_weights": None, "optimizer_config": {"class_name": "Adam", "config": {
        "name": "Adam", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999,
        "epsilon": 1e-07, "amsgrad": False}}}


def save_attributes(group, name, data):
    """TF-Keras save_attributes_to_hdf5_group: a fixed-length bytes array."""
    group.attrs[name] = np.asarray(data)


def v2_weights(group, layers):
    """TF-Keras save_weights_to_hdf5_group."""
    rng = np.random.default_rng(1)
    save_attributes(group, "layer_names", [n.encode() for n, _ in layers])
    group.attrs["backend"] = b"tensorflow"
    group.attrs["keras_version"] = b"2.15.0"
    for name, shapes in sorted(layers):
        g = group.create_group(name)
        names = [f"{name}/{w}:0".encode() for w in ("kernel", "bias")[:len(shapes)]]
        save_attributes(g, "weight_names", names)
        for wname, shape in zip(names, shapes):
            g.create_dataset(wname.decode(), data=rng.standard_normal(shape).astype("float32"), track_times=False)


def write_h5(name, model_config=None, training=True, layers=(("dense", [(8, 16), (16,)]),),
             raw_config=None, fixed=False, libver="earliest", userblock=0, extra_attrs=()):
    path = os.path.join(OUT, name)
    kw = {"libver": libver}
    if userblock:
        kw["userblock_size"] = userblock
    with h5py.File(path, "w", **kw) as f:
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
        for k, v in extra_attrs:
            f.attrs[k] = v
        if model_config is not None or raw_config is not None:
            data = raw_config if raw_config is not None else json.dumps(model_config).encode("utf8")
            if fixed:  # h5py 2.x wrote bytes as a fixed-length string
                f.attrs.create("model_config", np.array(data, dtype="S%d" % len(data)))
            else:
                f.attrs["model_config"] = data
            if training:
                f.attrs["training_config"] = json.dumps(TRAINING_CONFIG).encode("utf8")
        v2_weights(f.create_group("model_weights"), list(layers))
    if libver != "earliest":
        zero_times(path)


def zero_times(path):
    """Version-2 object headers carry timestamps; zero them for determinism."""
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        i = data.find(b"OHDR")
        while i >= 0:
            if data[i + 4] == 2 and data[i + 5] & 0x20:
                assert ohdr_checksum(data, i, check=True), "lookup3 port disagrees with HDF5"
                data[i + 6:i + 22] = bytes(16)
                # The header checksum is now stale; recompute it (Jenkins lookup3).
                ohdr_checksum(data, i)
            i = data.find(b"OHDR", i + 4)
        f.seek(0)
        f.write(data)


def lookup3(data, initval=0):
    """HDF5's H5_checksum_lookup3 (Bob Jenkins' hashlittle)."""
    def rot(x, k):
        return ((x << k) | (x >> (32 - k))) & 0xFFFFFFFF
    length = len(data)
    a = b = c = (0xDEADBEEF + length + initval) & 0xFFFFFFFF
    i = 0
    while length > 12:
        a = (a + data[i] + (data[i + 1] << 8) + (data[i + 2] << 16) + (data[i + 3] << 24)) & 0xFFFFFFFF
        b = (b + data[i + 4] + (data[i + 5] << 8) + (data[i + 6] << 16) + (data[i + 7] << 24)) & 0xFFFFFFFF
        c = (c + data[i + 8] + (data[i + 9] << 8) + (data[i + 10] << 16) + (data[i + 11] << 24)) & 0xFFFFFFFF
        a = (a - c) & 0xFFFFFFFF; a ^= rot(c, 4); c = (c + b) & 0xFFFFFFFF
        b = (b - a) & 0xFFFFFFFF; b ^= rot(a, 6); a = (a + c) & 0xFFFFFFFF
        c = (c - b) & 0xFFFFFFFF; c ^= rot(b, 8); b = (b + a) & 0xFFFFFFFF
        a = (a - c) & 0xFFFFFFFF; a ^= rot(c, 16); c = (c + b) & 0xFFFFFFFF
        b = (b - a) & 0xFFFFFFFF; b ^= rot(a, 19); a = (a + c) & 0xFFFFFFFF
        c = (c - b) & 0xFFFFFFFF; c ^= rot(b, 4); b = (b + a) & 0xFFFFFFFF
        length -= 12
        i += 12
    tail = data[i:i + length] + bytes(12 - length)
    if length == 0:
        return c
    c = (c + (tail[8] | tail[9] << 8 | tail[10] << 16 | tail[11] << 24)) & 0xFFFFFFFF
    b = (b + (tail[4] | tail[5] << 8 | tail[6] << 16 | tail[7] << 24)) & 0xFFFFFFFF
    a = (a + (tail[0] | tail[1] << 8 | tail[2] << 16 | tail[3] << 24)) & 0xFFFFFFFF
    c ^= b; c = (c - rot(b, 14)) & 0xFFFFFFFF
    a ^= c; a = (a - rot(c, 11)) & 0xFFFFFFFF
    b ^= a; b = (b - rot(a, 25)) & 0xFFFFFFFF
    c ^= b; c = (c - rot(b, 16)) & 0xFFFFFFFF
    a ^= c; a = (a - rot(c, 4)) & 0xFFFFFFFF
    b ^= a; b = (b - rot(a, 14)) & 0xFFFFFFFF
    c ^= b; c = (c - rot(b, 24)) & 0xFFFFFFFF
    return c


def ohdr_checksum(data, i, check=False):
    """Rewrites (or, with check, verifies) the checksum of the OHDR at i."""
    flags = data[i + 5]
    p = i + 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
    width = 1 << (flags & 3)
    size = int.from_bytes(data[p:p + width], "little")
    end = p + width + size
    sum_ = lookup3(bytes(data[i:end])).to_bytes(4, "little")
    if check:
        return data[end:end + 4] == sum_
    data[end:end + 4] = sum_
    return True


def h5_files():
    seq = v2_sequential([v2_dense("dense", 16, "relu", (8,)), v2_dense("dense_1", 4, "softmax")])
    layers = (("dense", [(8, 16), (16,)]), ("dense_1", [(16, 4), (4,)]))
    write_h5("sequential.h5", seq, layers=layers)
    write_h5("sequential-fixed.h5", seq, layers=layers, fixed=True, training=False)
    write_h5("weights-only.h5", None, layers=layers)
    write_h5("userblock-lambda.h5", v2_sequential([v2_lambda("lambda", [FAKE_CODE, None, None])]),
             userblock=512, layers=())

    write_h5("lambda.h5", v2_sequential([v2_dense("dense", 16, "relu", (8,)),
                                         v2_lambda("lambda", [FAKE_CODE, None, None])]))
    write_h5("lambda-output-shape.h5", v2_sequential([
        v2_dense("dense", 16, "relu", (8,)),
        v2_lambda("lambda", [FAKE_CODE, None, None], output_shape=[FAKE_CODE, None, None],
                  output_shape_type="lambda", output_shape_module="__main__")]))
    write_h5("lambda-function.h5", v2_sequential([
        v2_dense("dense", 16, "relu", (8,)), v2_lambda("lambda", "scaled_tanh", "function", "mypkg.ops")]))
    write_h5("tfoplambda-io.h5", v2_sequential([
        v2_dense("dense", 16, "relu", (8,)),
        {"class_name": "TFOpLambda", "config": {"name": "tf.io.write_file", "trainable": True,
                                                "dtype": "float32", "function": "io.write_file"}}]))
    write_h5("custom-object.h5", v2_sequential([
        v2_dense("dense", 16, "relu", (8,)),
        {"class_name": "MyLayers>ScaleLayer", "config": {"name": "scale_layer", "trainable": True,
                                                         "dtype": "float32", "scale": 2.0}}]))
    # Keras 3's legacy H5 writer uses the Keras 3 object shape.
    write_h5("keras3-lambda.h5", sequential([dense("dense", 16), lambda_v3("lambda", {
        "class_name": "__lambda__", "config": {"code": FAKE_CODE_V3, "defaults": None, "closure": None}})]),
        training=False)
    write_h5("invalid-json.h5", raw_config=b'{"class_name": "Sequential", "config": {"layers": [', training=False)

    # A model_config larger than 64 KiB. h5py 3 stores bytes as a
    # variable-length string in a global heap, so the attribute message stays
    # small and compact; the JSON is one contiguous heap object.
    big_layers = [v2_dense("dense_%d" % i, 8, "relu") for i in range(600)]
    big = v2_sequential(big_layers[:300] + [v2_lambda("lambda", [FAKE_CODE, None, None])] + big_layers[300:])
    assert len(json.dumps(big)) > 65536
    write_h5("large-config-lambda.h5", big, training=False)
    # The same as a fixed-length string (h5py 2 style) cannot be compact in a
    # version-1 object header ("object header message is too large"); with
    # libver="latest" HDF5 moves it into dense storage (a fractal heap).
    write_h5("dense-storage-lambda.h5", big, training=False, fixed=True, libver="latest")
    # Dense storage also kicks in past 8 attributes with the new format.
    notes = [("note_%d" % i, b"x") for i in range(10)]
    write_h5("dense-attrs-sequential.h5", seq, libver="latest", extra_attrs=notes)
    write_h5("dense-attrs-lambda.h5", v2_sequential([
        v2_dense("dense", 16, "relu", (8,)), v2_lambda("lambda", [FAKE_CODE, None, None])]),
        libver="latest", extra_attrs=notes)
    # A truncated download: the root header names model_config, but the
    # global heap holding its value is cut off.
    with open(os.path.join(OUT, "lambda.h5"), "rb") as f:
        data = f.read()
    gcol = data.find(b"GCOL")
    assert gcol > data.find(b"model_config") > 0
    write("truncated-config.h5", data[:gcol + 24])


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    keras_archives()
    h5_files()


if __name__ == "__main__":
    main()
