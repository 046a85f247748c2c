"""Class activation maps for batches, kept on the device: Grad-CAM and Grad-CAM++ behind
one ``BaseCAM`` interface (pytorch-grad-cam's), the per-fit ``CamSource`` used by
CAM-guided erasing, and the thresholded-box helpers of the CAM-guided erasing notebook."""
from simaug.cam.base_cam import CAM_METHODS, BaseCAM, create_cam, list_cams, normalize_cam
from simaug.cam.bbox import cam_bbox
from simaug.cam.grad_cam import GradCAM
from simaug.cam.grad_cam_plus_plus import GradCAMPlusPlus
from simaug.cam.overlay import cam_overlay
from simaug.cam.source import CamSource
from simaug.cam.targets import ClassifierOutputSoftmaxTarget, ClassifierOutputTarget, select_scores

__all__ = [
    "BaseCAM", "CAM_METHODS", "CamSource", "ClassifierOutputSoftmaxTarget", "ClassifierOutputTarget",
    "GradCAM", "GradCAMPlusPlus", "cam_bbox", "cam_overlay", "create_cam", "list_cams", "normalize_cam",
    "select_scores",
]
