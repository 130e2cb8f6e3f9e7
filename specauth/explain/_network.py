"""Split a classification network at its last feature map, for explanations.

CAM-style explanations need the last convolutional feature map ``A`` and the
head that turns it into logits. Both come from the *outer* functional graph,
so a pretrained base nested inside the model (``CNNFactory``) works: the
feature map is the nested base's output tensor, never one of its inner
layers, and nothing is rewired ("graph disconnected" cannot happen).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from specauth._lazy import import_keras

if TYPE_CHECKING:
    import keras

__all__ = ["SplitNetwork", "split_network"]

_POOLS = ("GlobalAveragePooling1D", "GlobalAveragePooling2D")


@dataclass
class SplitNetwork:
    """A network seen as ``features = body(x)`` then ``logits = head(features)``.

    Attributes
    ----------
    body : keras.Model
        Input -> last feature map ``(batch, positions..., channels)``.
    head : keras.Model
        Feature map -> logits (the original layers, shared, not copied).
    cam_weights : ndarray of shape (channels, n_classes) or None
        Weights of the final Dense layer when the head is
        ``GlobalAveragePooling -> [Dropout] -> Dense`` (the CAM head); None
        otherwise.
    cam_bias : ndarray of shape (n_classes,) or None
    spatial_dims : int
        1 for spectra feature maps, 2 for images.
    input_shape : tuple
        Shape of one input sample.
    imaging : keras.layers.Layer or None
        The ``GramianAngularLayer`` of a network that images spectra inside.
    image_shape : tuple of int
        ``(length,)`` or ``(height, width)`` of what the maps are upsampled to:
        the input spectrum, the input image or the Gramian field.
    """

    body: keras.Model
    head: keras.Model
    cam_weights: np.ndarray | None
    cam_bias: np.ndarray | None
    spatial_dims: int
    input_shape: tuple[int, ...]
    imaging: keras.layers.Layer | None
    image_shape: tuple[int, ...]


def _producer(tensor):
    """Return ``(layer, its input tensors)`` for the node that made ``tensor``."""
    operation, node_index, _ = tensor._keras_history
    if operation is None:
        return None, []
    node = operation._inbound_nodes[node_index]
    return operation, list(node.input_tensors)


def _head_chain(network):
    """Return the layers from the feature map to the logits, and the map tensor.

    Walks back from the output, through the network's own graph, along
    single-input layers until it reaches a global pooling or flatten layer;
    its input is the feature map.
    """
    keras = import_keras()
    chain, tensor = [], network.outputs[0]
    kinds = (*_POOLS, "Flatten")
    while True:
        layer, inputs = _producer(tensor)
        if layer is None or isinstance(layer, keras.layers.InputLayer):
            raise ValueError(
                "The network has no GlobalAveragePooling or Flatten layer before "
                "its logits; class activation maps need a convolutional feature "
                "map followed by such a head."
            )
        if len(inputs) != 1:
            raise ValueError(
                "Explanations need a head that is a chain of single-input layers "
                "from a global-average-pooling (or flatten) layer to the logits; "
                f"layer {layer.name!r} of the network has several inputs."
            )
        chain.append(layer)
        tensor = inputs[0]
        if type(layer).__name__ in kinds:
            return chain[::-1], tensor


def _layer_tensor(network, layer):
    """Return the output tensor of the outer-graph layer named ``layer``."""
    if not isinstance(layer, str):
        raise TypeError(f"`layer` must be a layer name (str); got {layer!r}.")
    names = [x.name for x in network.layers]
    if layer not in names:
        import difflib

        close = difflib.get_close_matches(layer, names, n=3)
        hint = f" Did you mean {close}?" if close else ""
        raise ValueError(
            f"The network has no layer {layer!r}.{hint} Layers: {names}. (Layers "
            "inside a nested pretrained base cannot be chosen; its output, layer "
            "'base', can.)"
        )
    tensors = _outer_tensors(network)
    if layer not in tensors:
        raise ValueError(f"Layer {layer!r} does not lead to the network's output.")
    return tensors[layer]


def _outer_tensors(network):
    """Map layer name -> its output tensor *in this network's graph*.

    ``layer.output`` of a nested model is its own inner output, not the tensor
    of the outer graph, so the graph is walked back from the output instead.
    """
    found, stack = {}, [network.outputs[0]]
    while stack:
        tensor = stack.pop()
        layer, inputs = _producer(tensor)
        if layer is None or layer.name in found:
            continue
        found[layer.name] = tensor
        stack.extend(inputs)
    return found


def split_network(network: keras.Model, layer: str | None = None) -> SplitNetwork:
    """Split ``network`` (logits output) at a feature map.

    ``layer=None`` takes the last feature map: the input of the global pooling
    (or flatten) layer before the logits. A layer name takes that layer's
    output instead (finer maps from earlier layers, gradient methods only).
    """
    keras = import_keras()
    chain, feature_tensor = _head_chain(network)
    chosen = feature_tensor if layer is None else _layer_tensor(network, layer)
    if chosen is None or len(chosen.shape) not in (3, 4):
        where = "before the network's pooling layer" if layer is None else layer
        raise ValueError(
            f"The feature map {where!r} must be 1D (batch, positions, channels) "
            f"or 2D (batch, height, width, channels); got shape "
            f"{None if chosen is None else tuple(chosen.shape)}."
        )
    inputs = network.inputs[0] if len(network.inputs) == 1 else network.inputs
    body = keras.Model(inputs, chosen, name="cam_body")
    head = keras.Model(chosen, network.outputs[0], name="cam_head")
    at_last_map = chosen is feature_tensor
    feature_tensor = chosen
    pool, *middle, last = chain
    cam_weights = cam_bias = None
    gap_head = type(pool).__name__ in _POOLS and all(
        isinstance(m, keras.layers.Dropout) for m in middle
    )
    if at_last_map and gap_head and isinstance(last, keras.layers.Dense):
        cam_weights = np.asarray(last.kernel, dtype=np.float64)
        cam_bias = (
            np.asarray(last.bias, dtype=np.float64)
            if last.use_bias
            else np.zeros(last.units)
        )
    imaging = next(
        (x for x in network.layers if type(x).__name__ == "GramianAngularLayer"),
        None,
    )
    input_shape = tuple(int(d) for d in network.input_shape[1:])
    image_shape: tuple[int, ...]
    if imaging is not None:
        size = int(imaging.output.shape[1])
        image_shape = (size, size)
    else:
        image_shape = input_shape[: len(feature_tensor.shape) - 2]
    return SplitNetwork(
        body=body,
        head=head,
        cam_weights=cam_weights,
        cam_bias=cam_bias,
        spatial_dims=len(feature_tensor.shape) - 2,
        input_shape=input_shape,
        imaging=imaging,
        image_shape=tuple(int(d) for d in image_shape),
    )
