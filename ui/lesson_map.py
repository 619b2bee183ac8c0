"""The lesson as data: its chapters (one page each), its goals and the home page's context texts."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

APP_ROOT = Path(__file__).resolve().parents[1]  # the folder of Home.py; page paths are relative to it
COURSE = "Advanced Deep Learning"


@dataclass(frozen=True)
class Chapter:
    """One chapter of the lesson: a page of the app covering a range of slides."""

    key: str  # the chapter's name in code: chrome.page(key, ...), the walkthrough, the zoo overview
    title: str  # as the lesson map and the sidebar list it
    slides: str  # as the slide deck numbers them, e.g. "28-31, 37-39"
    page: str  # script path relative to APP_ROOT, as st.page_link wants it
    summary: str  # what a student does there, one or two sentences
    heading: str = ""  # the page's own title when it says more than `title` ("" -> `title`)

    @property
    def page_title(self) -> str:
        """The title at the top of the chapter's page."""
        return self.heading or self.title


CHAPTERS: tuple[Chapter, ...] = (
    Chapter(
        "neurons", "Neurons and layers", "21-27", "pages/1_Neurons_and_layers.py",
        "A neuron's weighted sum and its decision line; a layer as `X @ W + b` with shapes; "
        "activation functions and their active region; one wide hidden layer versus a deep stack.",
    ),
    Chapter(
        "learning_cycle", "Learning cycle", "28-31, 37-39", "pages/2_Learning_cycle.py",
        "Step through forward pass, loss, backward pass and update; epoch vs batch vs iteration "
        "with live training; under- and overfitting on a validation set; inference on a new point.",
    ),
    Chapter(
        "preprocessing", "Preprocessing", "34-35", "pages/3_Preprocessing.py",
        "Normalize vs standardize, and watch unscaled features slow training down.",
    ),
    Chapter(
        "optimizers", "Local minima and optimizers", "40-48", "pages/4_Local_minima_and_optimizers.py",
        "Learning rates, loss landscapes, small batches, learning-rate schedules, momentum and Adam.",
    ),
    Chapter(
        "gradients", "Vanishing gradients and batch normalization", "50-55",
        "pages/5_Vanishing_gradients_and_batch_normalization.py",
        "Gradients layer by layer with sigmoid vs ReLU, dying ReLUs, and batch normalization.",
    ),
    Chapter(
        "regularization", "Regularization and data augmentation", "57-64",
        "pages/6_Regularization_and_data_augmentation.py",
        "Weight decay, early stopping, dropout, ensembles and augmentations that keep masks aligned.",
    ),
    Chapter(
        "zoo", "Network zoo: overview", "65", "pages/7_Zoo_overview.py",
        "Every architecture of the slides in one table: its purpose, its architecture and its output, "
        "with the size and task of each model the app ships.",
    ),
    Chapter(
        "cnn", "Zoo: CNN", "66", "pages/8_Zoo_CNN.py",
        "A convolutional network on digits: its layers with tensor shapes, learned filters, feature maps, "
        "softmax outputs, mistakes, and a match against an MLP of the same size.",
        heading="Zoo: convolutional neural network (CNN)",
    ),
    Chapter(
        "autoencoders", "Zoo: autoencoders", "67", "pages/9_Zoo_Autoencoders.py",
        "Encoder, latent space, decoder: reconstructions, a 2-D latent map of the digits, denoising, "
        "and a variational autoencoder you can walk through.",
        heading="Zoo: autoencoders (plain, denoising, variational)",
    ),
    Chapter(
        "fcn", "Zoo: FCN segmentation", "68", "pages/10_Zoo_FCN_segmentation.py",
        "A fully convolutional network labels every pixel of a scene: encoder, upsampling decoder, "
        "predicted masks and per-class IoU.",
        heading="Zoo: fully convolutional network (FCN) for segmentation",
    ),
    Chapter(
        "recurrent", "Zoo: RNN and LSTM", "69", "pages/11_Zoo_RNN_and_LSTM.py",
        "Memory over a sequence: a plain RNN, a GRU and an LSTM on a task whose answer lies far back, "
        "the LSTM's gates at work, gradients reaching early steps, and what a second layer or a backward pass adds.",
    ),
    Chapter(
        "transformer", "Zoo: Transformer", "70", "pages/12_Zoo_Transformer.py",
        "Self-attention you can read: attention maps per layer and head, positional encoding, "
        "causal vs full masks, and greedy generation.",
    ),
    Chapter(
        "gan", "Zoo: GAN", "71", "pages/13_Zoo_GAN.py",
        "A generator against a discriminator on 2-D data, live: samples, the discriminator's map, "
        "both losses, and mode collapse.",
        heading="Zoo: generative adversarial network (GAN)",
    ),
)

_BY_KEY = {chapter.key: chapter for chapter in CHAPTERS}


def chapter(key: str) -> Chapter:
    """The chapter named `key` (e.g. "cnn"); a KeyError naming the known keys for any other."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"no chapter {key!r} in ui/lesson_map.CHAPTERS; the keys are {', '.join(_BY_KEY)}") from None


GOALS = (  # slide 9
    "Explain the general components and working principles of a neural network.",
    "Understand the learning process: the role of the **learning rate** and the **activation "
    "functions**, why complex **loss landscapes** are hard and how to mitigate that, and "
    "**regularization** (early stopping, weight decay, dropout, ensembles, data augmentation, "
    "batch normalization).",
    "Explain the purpose and core architecture of the major network types.",
)

AI_ML_DL = (  # slide 11, outermost first
    ("Artificial intelligence", "machines doing tasks that need intelligence"),
    ("Machine learning", "rules learned from data instead of written by hand"),
    ("Deep learning", "many-layer neural networks that also learn the features"),
)

PIPELINES = {  # slides 13-14, 18: (step, kind) with kind "data", "hand" (made by people) or "learned"
    "Machine learning": (
        ("input", "data"), ("hand-made features", "hand"), ("model learns a rule", "learned"), ("output", "data"),
    ),
    "Deep learning": (
        ("input", "data"), ("network learns features and rule", "learned"), ("output", "data"),
    ),
}

LATENT_SPACE = (  # slides 16-17
    "A **latent space** is a compressed representation of the data: present, but not directly "
    "observable. An **encoder** learns to compress an input to its most important latent features; "
    "a **decoder** learns to turn latent features back into data, or to generate new data."
)

FEASIBLE = (  # slide 19
    ("Data", "the internet, phones and sensors give millions of labelled examples."),
    ("GPUs", "a network is mostly matrix products, which GPUs run thousands at a time."),
    ("Better techniques", "ReLU, good initialization, batch normalization, dropout, Adam."),
)

WHY_PYTORCH = (  # slide 20
    "**Why PyTorch?** Tensors that run on a CPU or a GPU, gradients computed for you (autograd), "
    "and models written as plain Python. Every measured number in this app comes from PyTorch code "
    "you can read on the page."
)

HOW_TO_USE = {
    "Self-study": (
        "Work through the chapters in order. Each page follows its slides: what the slide says, "
        "controls, the experiment's charts, and a 'What to notice' box. Only a page's first section is open "
        "at first: click a heading to open the next. Change one "
        "control at a time and compare; every chart's data downloads as CSV."
    ),
    "Classroom": (
        "On a projector, switch on **Presenter mode** in the sidebar (larger text and chart fonts; download "
        "buttons and code out of the way). The **Guided walkthrough** on this page steps through the slides in "
        "order. **Share this view** in the sidebar is the link to exactly what is on screen. Results are cached "
        "for everyone, so a class asking for one view computes it once. **Reset this page** brings back the defaults."
    ),
}

