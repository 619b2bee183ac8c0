"""The autoencoder page's parts (pages/9_Zoo_Autoencoders.py): its recipe controls, pictures and the sentences of
its notices.

Every sentence is built from the facts core computed (core/zoo/autoencoders_lab.py); the page passes the same
facts to `chrome.notice`.
"""
from __future__ import annotations

import inspect

import streamlit as st

from core import charts
from core.charts import autoencoders as autoencoder_charts
from core.zoo import autoencoders, autoencoders_lab
from ui import runners, show, zoo

SHIPPED = autoencoders.SHIPPED_RECIPE


def recipe() -> autoencoders.Recipe | None:
    """'Train it yourself': the student's recipe, or None for the shipped weights."""
    own = st.toggle("Train it yourself (the four autoencoders side by side)", key="ae-own", bind="query-params")
    if not own:
        return None
    c1, c2, c3 = st.columns(3)
    wide = c1.select_slider("Latent numbers of the wider AE and the denoising AE", autoencoders.WIDE, SHIPPED.wide,
                            key="ae-wide", bind="query-params")
    noise = c2.select_slider("Denoising AE: largest training noise (std)", (0.25, 0.5, 0.75, 1.0), SHIPPED.noise,
                             key="ae-train-noise", bind="query-params")
    beta = c3.select_slider("VAE: weight β of the KL term (log scale)", autoencoders.BETAS, SHIPPED.beta,
                            key="ae-beta", bind="query-params")
    c1, c2, c3 = st.columns(3)
    epochs = c1.slider(f"Epochs (at most {autoencoders.MAX_EPOCHS})", 10, autoencoders.MAX_EPOCHS, SHIPPED.epochs,
                       10, key="ae-epochs", bind="query-params")
    lr = c2.select_slider("Learning rate (Adam, log scale)", (0.001, 0.003, 0.01), SHIPPED.lr, key="ae-lr",
                          bind="query-params")
    seed = zoo.seed(c3, "ae-seed")
    return runners.config(autoencoders.Recipe, wide=wide, noise=noise, beta=beta, epochs=epochs, lr=lr,
                          seed=int(seed))


def curves(trained: autoencoders.Trained) -> None:
    """The four models' loss curves, what the trainer said of them (a blown-up loss), and whose models they are."""
    show.chart(charts.curves, trained.history, "loss", log_y=True, key="ae-curves")
    zoo.trainer_said(trained.messages, trained.kept_epoch, trained.recipe.epochs)
    who = "the shipped weights (`python -m core.zoo`)" if trained.shipped else "**your** autoencoders"
    recipe = trained.recipe
    blown = [name for name, kept in trained.kept_epoch.items() if kept < recipe.epochs]
    took = (f"all four trained in {trained.seconds:.1f} s" if not blown else
            f"trained in {trained.seconds:.1f} s, the {' and the '.join(blown)} only until "
            f"{'its' if len(blown) == 1 else 'their'} loss blew up (below)")
    st.caption(f"Showing {who}: {recipe.epochs} epochs of Adam at learning rate {recipe.lr:g}, batches of "
               f"{recipe.batch_size}, seed {recipe.seed}; {took}. The loss is "
               "the reconstruction error, the mean squared error per pixel (solid: training digits, dashed: "
               "validation digits).")


def architecture(view: autoencoders_lab.InspectResult) -> None:
    """The 2-D plain AE's encoder and decoder, layer by layer, and its code."""
    st.markdown(f"**Encoder**: a digit in, {autoencoders.NARROW} numbers out (the latent code)")
    show.layers(view.encoder, key="ae-encoder", title="Digit")
    st.markdown("**Decoder**: the code in, a digit out (the reconstruction)")
    show.layers(view.decoder, key="ae-decoder", title="Latent code")
    with show.folded("The network in PyTorch (core/zoo/autoencoders.py)", key="ae-code") as more:
        if more.open:
            st.code(inspect.getsource(autoencoders.AutoEncoder))


def shape_notice(facts: autoencoders_lab.ShapeFacts) -> str:
    sigmoid = (" The sigmoid at the end keeps every pixel between 0 and 1, like the data." if facts.output_sigmoid
               else "")
    return (f"the encoder turns {facts.pixels_in} pixels into {facts.latent_numbers} numbers, "
            f"{facts.times_fewer:.0f} times fewer, and the decoder must redraw the whole digit from them alone. The "
            f"two halves mirror each other ({facts.encoder_weights:,} and {facts.decoder_weights:,} weights). "
            f"Nobody says what the {facts.latent_numbers} numbers should mean: the loss only asks for output = "
            "input (mean squared error per pixel), and the code becomes whatever makes that easiest." + sigmoid)


def strip_captions(view: autoencoders_lab.InspectResult) -> list[str]:
    name, error = view.labels, view.errors
    return ["Originals (the first validation image of each digit)",
            f"{name['ae']}: error {error['ae']:.4f} per pixel", f"{name['wide']}: error {error['wide']:.4f}",
            f"{name['vae']}: error {error['vae']:.4f}"]


def reconstruction_notice(facts: autoencoders_lab.ReconstructionFacts) -> str:
    wider = "bring it down to" if facts.error_wide < facts.error_ae else "give"
    vae = (f"reconstructs with {facts.vae_extra_error:.0%} more error than the plain 2-D AE: its KL term asks for "
           "more than a good copy (section 5)" if facts.vae_extra_error > 0 else
           f"reconstructs with {-facts.vae_extra_error:.0%} less error than the plain 2-D AE, although its KL term "
           "asks for more than a good copy (section 5)")
    return (f"with {autoencoders.NARROW} numbers per digit the validation error is {facts.error_ae:.4f} per pixel, "
            f"{facts.ae_share_of_mean_digit:.0%} of the {facts.mean_digit_error:.4f} of drawing the average digit "
            f"every time; {facts.wide_latent} numbers {wider} {facts.error_wide:.4f}. Of the 2-D AE's "
            f"reconstructions the {facts.worst_digit}s suffer most ({facts.worst_digit_error:.4f}), the "
            f"{facts.best_digit}s least ({facts.best_digit_error:.4f}). The VAE, also squeezed through "
            f"{autoencoders.NARROW} numbers, {vae}.")


def latent_maps(view: autoencoders_lab.InspectResult) -> None:
    for column, key in zip(st.columns(2), ("ae", "vae")):
        with column:
            show.chart(autoencoder_charts.latent_map, view.codes_by[key],
                       f"{view.labels[key]}: the codes of the validation digits", key=f"ae-map-{key}")


def latent_notice(facts: autoencoders_lab.LatentFacts) -> str:
    most = "most" if facts.same_digit_ae > 0.5 else "some"
    span = autoencoders_lab.SPAN
    spread = (f"The plain AE's codes spread {facts.spread_ae:.1f} around a centre {facts.centre_ae:.1f} from the "
              f"origin, {facts.in_square_ae:.0%} of them inside the square from −{span:g} to {span:g} that "
              f"section 5 decodes; the VAE's spread {facts.spread_vae:.2f} around a centre {facts.centre_vae:.2f} "
              f"from it, {facts.in_square_vae:.0%} inside the square. Its KL term pulls every digit's distribution "
              "towards the standard normal, "
              + ("which keeps the codes in a compact region around 0 to sample new digits from (section 5)."
                 if facts.vae_compact_at_origin else
                 "yet here the codes do not sit in a compact region around 0: sampling there would miss many "
                 "digits."))
    gather = "digits of a kind gather" if facts.gathers else "digits of a kind barely gather"
    return (f"{gather}, though the labels were never used in training: for {facts.same_digit_ae:.0%} of the "
            f"validation digits the nearest other digit on the plain AE's map is the same digit (VAE: "
            f"{facts.same_digit_vae:.0%}; in the 64 raw pixels: {facts.same_digit_pixels:.0%}; a random other "
            f"digit: {facts.same_digit_by_chance:.0%}). Two numbers keep {most} of what tells digits apart, not "
            f"all: the plain AE mixes up {facts.mixed_a} and {facts.mixed_b} most ({facts.mixed_times} times). "
            f"{spread}")


def denoising_intro(recipe: autoencoders.Recipe) -> str:
    return (f"The denoising AE has the layers of the plain {recipe.wide}-D AE; while it trains, a `Noise` layer "
            f"spoils every input with fresh Gaussian noise (std drawn up to {recipe.noise:g} per digit, every "
            "step), and the target stays the clean digit. Below, the same noise spoils the validation digits.")


def denoised_pictures(denoised: autoencoders_lab.DenoiseResult, labels: dict[str, str]) -> None:
    errors = denoised.errors
    show.images(denoised.pictures,
                [f"Noisy input (error {errors['input']:.4f} per pixel)", "Clean original (the target)",
                 f"{labels['wide']} reconstructs the noisy input (error {errors['wide']:.4f})",
                 f"{labels['denoising']} reconstructs the noisy input (error {errors['denoising']:.4f})"],
                columns=2)


def denoise_notice(curve: autoencoders_lab.NoiseCurveFacts, level: autoencoders_lab.DenoiseFacts,
                   recipe: autoencoders.Recipe) -> str:
    since = (f"from noise {curve.denoising_wins_from:g} up" if curve.denoising_wins_from is not None else
             "only at some noise levels, not up to the largest" if curve.denoising_wins_anywhere else
             "at no noise level shown")
    price = "pays for it" if curve.denoising_pays_on_clean else "does not even pay for it"
    verdict = (f"{level.denoising_gain:.0%} less error than the plain AE of the same size" if level.denoising_gain > 0
               else f"{-level.denoising_gain:.0%} more error than the plain AE: at this light noise, copying wins")
    code_off = (f"yet noise throws its code off: its error rises from {level.noisy_clean_error_ae:.4f} to "
                f"{level.noisy_error_ae:.4f}" if level.noisy_error_ae > level.noisy_clean_error_ae else
                f"and its error does not rise ({level.noisy_clean_error_ae:.4f} clean, {level.noisy_error_ae:.4f} "
                "noisy)")
    noisy = (f"at noise {level.noise_level:g} the noisy digits are {level.noisy_input_error:.4f} away from the clean "
             f"ones. The plain {recipe.wide}-D AE, trained on clean digits only, goes from "
             f"{level.noisy_clean_error_wide:.4f} on clean digits to {level.noisy_error_wide:.4f}: it copies part of "
             f"the noise. The denoising AE gets {level.noisy_error_denoising:.4f}, {verdict}. The 2-D AE cannot "
             f"store noise in 2 numbers, {code_off}. "
             + ("A narrow bottleneck alone is not a denoiser; training on noisy inputs is. " if
                level.narrow_worse_than_denoising else ""))
    return ((noisy if level.noise_level > 0 else "with no noise the inputs are the clean digits; move the slider. ")
            + f"The denoising AE beats the plain {recipe.wide}-D AE {since} (chart) and {price} on clean digits "
            f"({curve.clean_error_denoising:.4f} against {curve.clean_error_wide:.4f}).")


def vae_architecture(view: autoencoders_lab.InspectResult) -> None:
    st.markdown("The VAE's encoder gives a **mean μ and a variance σ²** for each latent number; the code is drawn "
                "from them while training, and a KL term (added to the loss through the trainer's `aux_loss`) "
                "pulls every digit's distribution towards the standard normal. Its decoder has the plain 2-D AE's "
                "layers, with weights of its own.")
    show.layers(view.vae_encoder, key="ae-vae-encoder", title="Digit")
    with show.folded("The sampling step and the KL term in PyTorch (core/zoo/autoencoders.py)",
                     key="vae-code") as more:
        if more.open:
            st.code(inspect.getsource(autoencoders.Reparameterize) + "\n"
                    + inspect.getsource(autoencoders.VariationalAutoEncoder))


def walk_ends() -> tuple[int, int]:
    """The two digits the walk goes between."""
    c1, c2 = st.columns(2)
    start = c1.selectbox("Walk from digit", range(10), autoencoders_lab.Walk.start, key="ae-from",
                         bind="query-params")
    end = c2.selectbox("to digit (the same digit again: two ways of writing it)", range(10), autoencoders_lab.Walk.end,
                       key="ae-to", bind="query-params")
    return start, end


def grid_and_walk(view: autoencoders_lab.InspectResult, walked: autoencoders_lab.WalkResult) -> None:
    """The VAE's map with the grid's square and the walk, the decoded grid, and the walk against a cross-fade."""
    span, grid = autoencoders_lab.SPAN, autoencoders_lab.GRID
    left, right = st.columns(2)
    with left:
        show.chart(autoencoder_charts.latent_map, view.codes_by["vae"],
                   f"{view.labels['vae']}: the grid's square and the walk", square=span, path=walked.path,
                   key="ae-vae-walk")
    with right:
        st.image(view.grid, caption=f"The decoder on a {grid} × {grid} grid from −{span:g} to {span:g} on both "
                                    "axes (z2 up, z1 right): the dashed square on the map", width="stretch")
    steps = " ".join(map(str, walked.nearest))
    show.images([walked.latent, walked.pixels],
                [f"Walking the straight line between their codes, decoded (nearest validation digit per step: "
                 f"{steps})", "Cross-fading their pixels instead"], columns=1)


def grid_notice(grid: autoencoders_lab.GridFacts, walk: autoencoders_lab.WalkFacts) -> str:
    crossed = len(walk.walk_crossed)
    via = (f"through the region{'s' if crossed > 1 else ''} of {', '.join(map(str, walk.walk_crossed))}"
           if crossed else "straight from one region into the other")
    return (f"neighbouring cells of the grid differ by {grid.grid_neighbour_rms:.3f} per pixel (RMS), random pairs "
            f"of cells by {grid.grid_random_rms:.3f}, {grid.grid_ratio:.1f} times more: a small step in the VAE's "
            "plane changes the decoded digit a little, a long one a lot, so the square is a smooth map of digits "
            f"and a new digit is drawn by picking a point in it. The walk from {walk.walk_start} to {walk.walk_end} "
            f"goes {via} (nearest digit per step: {' '.join(map(str, walk.walk_nearest))}). The cross-fade "
            f"overlays the two images instead: half-way, each is there at {walk.fade_halfway:.0%} brightness, a "
            "ghost rather than a digit.")
