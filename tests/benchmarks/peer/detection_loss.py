"""The YOLOv8 detection loss in plain PyTorch: the loss of bench_peer's Python training step.

Written for YoloDeck from the published method, not from Ultralytics' code. It computes what
YoloDeck's DetectionLoss (core/model/detectionloss.cpp) and TaskAlignedAssigner
(core/model/taskalignedassigner.cpp) compute, so that bench_peer's check can require the same loss
and the same gradients, but with PyTorch's standard operators, as a Python user writes them (BCE is
F.binary_cross_entropy_with_logits, as Ultralytics' BCEWithLogitsLoss; YoloDeck fuses its own):

- task-aligned assignment (Feng et al. 2021, "TOOD"): candidates are anchor centres inside a box;
  each box keeps its top 10 candidates by score^0.5 * CIoU^6; an anchor claimed by several boxes
  goes to the one it overlaps most; target scores are the one-hot class scaled per box so that its
  best-aligned anchor gets the box's best CIoU;
- BCE on the class logits; (1 - CIoU) weighted by target score on the positive anchors; Distribution
  Focal Loss (Li et al. 2020) to the two bins around each target distance; each divided by the sum
  of target scores (at least 1), with the gains box 7.5, cls 0.5, dfl 1.5;
- the value to backpropagate is the sum of the three items times the batch size, as Ultralytics
  trains.

Targets are [N, 6] rows (image index, class, cx, cy, w, h) normalised to the input, as YoloDeck's
loader and Ultralytics' collate give them.
"""
import math

import torch
import torch.nn.functional as F

from yolov8 import STRIDES, dist2bbox, make_anchors

GAINS = (7.5, 0.5, 1.5)  # box, cls, dfl: Ultralytics' default hyperparameters


def xywh2xyxy(boxes):
    xy, half = boxes[..., :2], boxes[..., 2:] / 2
    return torch.cat((xy - half, xy + half), -1)


def bbox2dist(anchor_points, boxes, reg_max):
    """Corner boxes -> distances to the four sides, clamped so that the right DFL bin exists."""
    x1y1, x2y2 = boxes.chunk(2, -1)
    return torch.cat((anchor_points - x1y1, x2y2 - anchor_points), -1).clamp(0, reg_max - 1 - 0.01)


def complete_iou(box1, box2, eps=1e-7):
    """CIoU (Zheng et al. 2020) of corner-form boxes that broadcast against each other: [..., 1]."""
    b1x1, b1y1, b1x2, b1y2 = box1.chunk(4, -1)
    b2x1, b2y1, b2x2, b2y2 = box2.chunk(4, -1)
    # eps on the heights keeps atan(w / h) finite for degenerate boxes.
    w1, h1 = b1x2 - b1x1, b1y2 - b1y1 + eps
    w2, h2 = b2x2 - b2x1, b2y2 - b2y1 + eps
    inter = (torch.min(b1x2, b2x2) - torch.max(b1x1, b2x1)).clamp(min=0) * (
        torch.min(b1y2, b2y2) - torch.max(b1y1, b2y1)
    ).clamp(min=0)
    iou = inter / (w1 * h1 + w2 * h2 - inter + eps)
    # Smallest enclosing box's squared diagonal, squared distance between the centres.
    cw = torch.max(b1x2, b2x2) - torch.min(b1x1, b2x1)
    ch = torch.max(b1y2, b2y2) - torch.min(b1y1, b2y1)
    c2 = cw.pow(2) + ch.pow(2) + eps
    rho2 = ((b2x1 + b2x2 - b1x1 - b1x2).pow(2) + (b2y1 + b2y2 - b1y1 - b1y2).pow(2)) / 4
    # Aspect-ratio term v and its weight alpha, the weight held constant (the paper's eq. 9, 11).
    v = (4.0 / (math.pi * math.pi)) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)).pow(2)
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


class TaskAlignedAssigner:
    def __init__(self, nc, topk=10, alpha=0.5, beta=6.0, eps=1e-9):
        self.nc, self.topk, self.alpha, self.beta, self.eps = nc, topk, alpha, beta, eps

    @torch.no_grad()
    def __call__(self, pd_scores, pd_boxes, anchor_points, gt_labels, gt_boxes, mask_gt):
        """pd_scores [B, A, nc] probabilities, pd_boxes [B, A, 4] and anchor_points [A, 2] in
        pixels; gt_labels [B, M, 1], gt_boxes [B, M, 4] corner pixels, mask_gt [B, M, 1] marks the
        real boxes among the padding. Returns target boxes [B, A, 4], target scores [B, A, nc] and
        the positive mask [B, A]."""
        b, a, _ = pd_scores.shape
        m = gt_boxes.shape[1]
        if m == 0:  # no box anywhere in the batch: all background
            return (torch.zeros_like(pd_boxes), torch.zeros_like(pd_scores),
                    torch.zeros(b, a, dtype=torch.bool, device=pd_scores.device))

        labels = gt_labels.view(b, m).long().clamp(min=0)
        real = mask_gt.view(b, m, 1) > 0
        boxes, points = gt_boxes.view(b, m, 1, 4), anchor_points.view(1, 1, a, 2)
        inside = torch.cat((points - boxes[..., :2], boxes[..., 2:] - points), -1).amin(-1)
        candidate = (inside > self.eps) & real  # [B, M, A]

        # Alignment metric where an anchor is a candidate of a real box.
        class_scores = pd_scores.transpose(1, 2).gather(1, labels.unsqueeze(-1).expand(b, m, a))
        box_scores = torch.where(candidate, class_scores, torch.zeros_like(class_scores))
        overlaps = torch.zeros(b, m, a, dtype=pd_boxes.dtype, device=pd_boxes.device)
        pd = pd_boxes.unsqueeze(1).expand(b, m, a, 4)[candidate]
        gt = gt_boxes.to(pd_boxes.dtype).unsqueeze(2).expand(b, m, a, 4)[candidate]
        overlaps[candidate] = complete_iou(gt, pd).squeeze(-1).clamp(min=0)
        align = box_scores.pow(self.alpha) * overlaps.pow(self.beta)

        # Top-k anchors per box; a padded box points all its picks at anchor 0, and the duplicate
        # count removes them.
        k = min(self.topk, a)
        topk_idx = align.topk(k, -1, largest=True, sorted=True)[1]
        topk_idx = topk_idx.masked_fill(~real.expand(b, m, k), 0)
        in_topk = torch.zeros_like(align).scatter_add_(
            -1, topk_idx, torch.ones(b, m, k, dtype=align.dtype, device=align.device))
        in_topk.masked_fill_(in_topk > 1, 0)
        mask_pos = in_topk * candidate.to(align.dtype)

        # An anchor claimed by several boxes keeps the box it overlaps most.
        fg_count = mask_pos.sum(1)
        if fg_count.max().item() > 1:
            multi = (fg_count.unsqueeze(1) > 1).expand(b, m, a)
            best = overlaps.argmax(1, keepdim=True)
            mask_pos = torch.where(multi, torch.zeros_like(mask_pos).scatter_(1, best, 1.0),
                                   mask_pos)
            fg_count = mask_pos.sum(1)
        fg = fg_count > 0
        gt_idx = mask_pos.argmax(1)  # [B, A]

        flat = gt_idx + torch.arange(b, dtype=gt_idx.dtype, device=gt_idx.device).unsqueeze(1) * m
        target_labels = labels.flatten()[flat]
        target_boxes = gt_boxes.reshape(-1, 4)[flat].to(pd_boxes.dtype)
        target_scores = F.one_hot(target_labels, self.nc).to(pd_scores.dtype)
        target_scores = target_scores * fg.unsqueeze(-1).to(pd_scores.dtype)

        # Per box, its best-aligned positive gets the box's best CIoU among its positives.
        pos_align = align * mask_pos
        max_align = pos_align.amax(-1, keepdim=True)
        max_overlap = (overlaps * mask_pos).amax(-1, keepdim=True)
        norm = (pos_align * max_overlap / (max_align + self.eps)).amax(1)  # [B, A]
        return target_boxes, target_scores * norm.unsqueeze(-1), fg


class DetectionLoss:
    """dtype: what the loss computes in, float32 as YoloDeck's (whatever the maps' type), or
    float64 for a reference."""

    def __init__(self, nc, strides=STRIDES, reg_max=16, gains=GAINS, dtype=torch.float32):
        self.nc, self.strides, self.reg_max, self.gains = nc, strides, reg_max, gains
        self.dtype = dtype
        self.assigner = TaskAlignedAssigner(nc)

    def batch_targets(self, targets, batch, height, width):
        """[N, 6] -> [B, M, 5] (class, x1, y1, x2, y2 in pixels), zero-padded to the largest
        count M."""
        t = targets.to(self.dtype).reshape(-1, 6)
        image = t[:, 0].long()
        if t.shape[0] and (image.min() < 0 or image.max() >= batch):
            raise ValueError("target image index outside the batch of %d" % batch)
        m = int(torch.bincount(image, minlength=batch).max()) if t.shape[0] else 0
        out = torch.zeros(batch, m, 5, dtype=self.dtype)
        for j in range(batch):
            rows = t[image == j, 1:]
            out[j, : rows.shape[0]] = rows
        scale = torch.tensor([width, height, width, height], dtype=self.dtype)
        return torch.cat((out[..., :1], xywh2xyxy(out[..., 1:] * scale)), 2)

    def __call__(self, maps, targets, height, width):
        """maps: the head's training-mode outputs [B, 4 * reg_max + nc, H, W] per level. Returns
        (the value to backpropagate, the detached items box, cls, dfl)."""
        batch = maps[0].shape[0]
        feats = [f.to(self.dtype) for f in maps]
        all_maps = torch.cat([f.flatten(2) for f in feats], 2).permute(0, 2, 1).contiguous()
        pred_dist, pred_scores = all_maps.split((4 * self.reg_max, self.nc), 2)
        a = all_maps.shape[1]

        points, strides = make_anchors(feats, self.strides, 0.5)
        gt = self.batch_targets(targets, batch, height, width).to(all_maps.device)
        gt_labels, gt_boxes = gt[..., :1], gt[..., 1:]
        mask_gt = gt_boxes.sum(2, keepdim=True) > 0

        # Boxes from the distributions, in grid units of each anchor's level.
        proj = torch.arange(self.reg_max, dtype=pred_dist.dtype, device=pred_dist.device)
        dist = pred_dist.view(batch, a, 4, self.reg_max).softmax(3).matmul(proj)
        pred_boxes = dist2bbox(dist, points, xywh=False)

        target_boxes, target_scores, fg = self.assigner(
            pred_scores.detach().sigmoid(), pred_boxes.detach() * strides, points * strides,
            gt_labels, gt_boxes, mask_gt)
        cls = F.binary_cross_entropy_with_logits(pred_scores, target_scores,
                                                 reduction="none").sum()
        if fg.any():
            target_boxes = target_boxes / strides  # grid units
            weight = target_scores.sum(-1)[fg].unsqueeze(-1)
            iou = complete_iou(pred_boxes[fg], target_boxes[fg])
            box = ((1.0 - iou) * weight).sum()

            ltrb = bbox2dist(points, target_boxes, self.reg_max)[fg]
            logits = pred_dist[fg].reshape(-1, self.reg_max)
            left = ltrb.long()
            right = left + 1
            w_left = right.to(ltrb.dtype) - ltrb
            w_right = 1.0 - w_left
            ce_left = F.cross_entropy(logits, left.flatten(), reduction="none").view(left.shape)
            ce_right = F.cross_entropy(logits, right.flatten(), reduction="none").view(left.shape)
            dfl = ((ce_left * w_left + ce_right * w_right).mean(-1, keepdim=True) * weight).sum()
        else:  # no positive: zero, but attached, so every head parameter gets a gradient
            box = pred_dist.sum() * 0.0
            dfl = pred_dist.sum() * 0.0

        n = target_scores.sum().detach().clamp(min=1.0)
        items = torch.stack((box / n * self.gains[0], cls / n * self.gains[1],
                             dfl / n * self.gains[2]))
        return items.sum() * batch, items.detach()
