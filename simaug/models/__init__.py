"""Model zoo: ``create_model(name)``, ``list_models()``."""
from . import cifar_resnet, simple_cnn, small_image  # noqa: F401  (registers the models)
from ._registry import create_model, list_models, register_model

__all__ = ["create_model", "list_models", "register_model"]
