"""Grad-CAM for batches, kept on the device, plus the thresholded-box helpers used by the
CAM-guided erasing notebook."""
from simaug.cam.bbox import cam_bbox
from simaug.cam.grad_cam import GradCAM, normalize_cam
from simaug.cam.overlay import cam_overlay
from simaug.cam.targets import ClassifierOutputSoftmaxTarget, ClassifierOutputTarget, select_scores

__all__ = [
    "ClassifierOutputSoftmaxTarget", "ClassifierOutputTarget", "GradCAM", "cam_bbox",
    "cam_overlay", "normalize_cam", "select_scores",
]
