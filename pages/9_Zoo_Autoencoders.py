"""Zoo: autoencoders (slide 67; latent space and encoding, slides 16-17): plain, denoising and variational, on the
8x8 digits."""
import inspect

import streamlit as st

from core import charts
from core.charts import autoencoders as ae_charts
from core.zoo import autoencoders as ae, autoencoders_views as views, overview
from ui import chrome, runners, show

card = next(a for a in overview.ARCHITECTURES if a.page == "pages/9_Zoo_Autoencoders.py")
chrome.page("Zoo: autoencoders (plain, denoising, variational)", "67", f"""- **Purpose:** {card.purpose}
- **Architecture:** {card.architecture}
- **Output:** {card.output}

*Latent* means hidden: present, but not directly observed (slides 16-17). The **encoder** compresses each of
scikit-learn's 8 × 8 digits into a few latent numbers, the **decoder** rebuilds the 64 pixels from them, and the
loss is the difference between output and input. Four small networks open with weights shipped with the app;
train your own just below and every view switches to them.""")

# 0. Which weights --------------------------------------------------------------------------------------------------
with st.container(border=True):
    own = st.toggle("Train it yourself (the four autoencoders side by side: about 10 s at 60 epochs on a free "
                    "2-core CPU, 30 s at 150)", key="ae-own", bind="query-params")
    recipe = None
    if own:
        c1, c2, c3 = st.columns(3)
        wide = c1.select_slider("Latent numbers of the wider AE and the denoising AE", ae.WIDE, ae.SHIPPED_RECIPE.wide,
                                key="ae-wide", bind="query-params")
        noise = c2.select_slider("Denoising AE: largest training noise (std)", (0.25, 0.5, 0.75, 1.0),
                                 ae.SHIPPED_RECIPE.noise, key="ae-train-noise", bind="query-params")
        beta = c3.select_slider("VAE: weight β of the KL term (log scale)", ae.BETAS, ae.SHIPPED_RECIPE.beta,
                                key="ae-beta", bind="query-params")
        c1, c2, c3 = st.columns(3)
        epochs = c1.slider(f"Epochs (at most {ae.MAX_EPOCHS})", 10, ae.MAX_EPOCHS, ae.SHIPPED_RECIPE.epochs, 10,
                           key="ae-epochs", bind="query-params")
        lr = c2.select_slider("Learning rate (Adam, log scale)", (0.001, 0.003, 0.01), ae.SHIPPED_RECIPE.lr,
                              key="ae-lr", bind="query-params")
        seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="ae-seed", bind="query-params")
        recipe = runners.config(ae.Recipe, wide=wide, noise=noise, beta=beta, epochs=epochs, lr=lr, seed=int(seed))
    slot = st.empty()
source = ae.Source(recipe)
run = runners.run(ae.trained, source, label="Training the four autoencoders",
                  live=lambda history: show.redraw(slot, charts.curves(history, "loss", log_y=True)))
view = runners.run(views.inspect, views.View(source), label="Running the autoencoders")
who = "the shipped weights (`python -m core.zoo`)" if run.shipped else "**your** autoencoders"
with slot.container():
    show.chart(charts.curves, run.history, "loss", log_y=True, key="ae-curves")
    st.caption(f"Showing {who}: {run.recipe.epochs} epochs of Adam at learning rate {run.recipe.lr:g}, batches of "
               f"{run.recipe.batch_size}, seed {run.recipe.seed}; all four trained in {run.seconds:.1f} s. The loss is "
               "the reconstruction error, the mean squared error per pixel (solid: training digits, dashed: "
               "validation digits).")
name, err = view.labels, view.errors

# 1. Architecture ---------------------------------------------------------------------------------------------------
chrome.section("1 · Encoder → latent code → decoder, with the shape of every tensor", "67")
st.markdown(f"**Encoder**: a digit in, {ae.NARROW} numbers out (the latent code)")
show.layers(view.encoder, key="ae-encoder", title="Digit")
st.markdown("**Decoder**: the code in, a digit out (the reconstruction)")
show.layers(view.decoder, key="ae-decoder", title="Latent code")
with st.expander("The network in PyTorch (core/zoo/autoencoders.py)"):
    st.code(inspect.getsource(ae.AutoEncoder))
sh = view.shape_facts
chrome.notice(f"the encoder turns {sh.pixels_in} pixels into {sh.latent_numbers} numbers, {sh.times_fewer:.0f} times "
              "fewer, and the decoder must redraw the whole digit from them alone. The two halves mirror each other "
              f"({sh.encoder_weights:,} and {sh.decoder_weights:,} weights). Nobody says what the {sh.latent_numbers} "
              "numbers should mean: the loss only asks for output = input (mean squared error per pixel), and the code "
              "becomes whatever makes that easiest."
              + (" The sigmoid at the end keeps every pixel between 0 and 1, like the data." if sh.output_sigmoid
                 else ""),
              sh)

# 2. Reconstructions ------------------------------------------------------------------------------------------------
chrome.section("2 · Originals and their reconstructions", "67")
show.images(view.strips, ["Originals (the first validation image of each digit)",
                          f"{name['ae']}: error {err['ae']:.4f} per pixel", f"{name['wide']}: error {err['wide']:.4f}",
                          f"{name['vae']}: error {err['vae']:.4f}"], columns=1)
show.chart(charts.bars, view.class_errors, "digit", views.CLASS_ERROR, "model", key="ae-class-errors")
rf = view.reconstruction_facts
wider = "bring it down to" if rf.error_wide < rf.error_ae else "give"
vae = (f"reconstructs with {rf.vae_extra_error:.0%} more error than the plain 2-D AE: its KL term asks for more than "
       "a good copy (section 5)" if rf.vae_extra_error > 0 else
       f"reconstructs with {-rf.vae_extra_error:.0%} less error than the plain 2-D AE, although its KL term asks for "
       "more than a good copy (section 5)")
chrome.notice(f"with {ae.NARROW} numbers per digit the validation error is {rf.error_ae:.4f} per pixel, "
              f"{rf.ae_share_of_mean_digit:.0%} of the {rf.mean_digit_error:.4f} of drawing the average digit every "
              f"time; {rf.wide_latent} numbers {wider} {rf.error_wide:.4f}. Of the 2-D AE's reconstructions the "
              f"{rf.worst_digit}s suffer most ({rf.worst_digit_error:.4f}), the {rf.best_digit}s least "
              f"({rf.best_digit_error:.4f}). The VAE, also squeezed through {ae.NARROW} numbers, {vae}.", rf)

# 3. Latent space ---------------------------------------------------------------------------------------------------
chrome.section("3 · The latent space: every validation digit as two numbers", "16-17, 67")
for column, key in zip(st.columns(2), ("ae", "vae")):
    with column:
        show.chart(ae_charts.latent_map, view.codes_by[key], name[key], key=f"ae-map-{key}")
lt = view.latent_facts
most = "most" if lt.same_digit_ae > 0.5 else "some"
spread = (f"The plain AE's codes spread {lt.spread_ae:.1f} around a centre {lt.centre_ae:.1f} from the origin, "
          f"{lt.in_square_ae:.0%} of them inside the square from −{views.SPAN:g} to {views.SPAN:g} that section 5 "
          f"decodes; the VAE's spread {lt.spread_vae:.2f} around a centre {lt.centre_vae:.2f} from it, "
          f"{lt.in_square_vae:.0%} inside the square. Its KL term pulls every digit's distribution towards the "
          "standard normal, "
          + ("which keeps the codes in a compact region around 0 to sample new digits from (section 5)."
             if lt.vae_compact_at_origin else
             "yet here the codes do not sit in a compact region around 0: sampling there would miss many digits."))
gather = "digits of a kind gather" if lt.gathers else "digits of a kind barely gather"
chrome.notice(f"{gather}, though the labels were never used in training: for {lt.same_digit_ae:.0%} of "
              f"the validation digits the nearest other digit on the plain AE's map is the same digit (VAE: "
              f"{lt.same_digit_vae:.0%}; in the 64 raw pixels: {lt.same_digit_pixels:.0%}; a random other digit: "
              f"{lt.same_digit_by_chance:.0%}). Two numbers keep {most} of what tells digits apart, not all: the plain "
              f"AE mixes up {lt.mixed_a} and {lt.mixed_b} most ({lt.mixed_times} times). {spread}", lt)

# 4. Denoising ------------------------------------------------------------------------------------------------------
chrome.section("4 · A denoising autoencoder: noisy input, clean target", "67")
st.markdown(f"The denoising AE has the layers of the plain {run.recipe.wide}-D AE; while it trains, a `Noise` layer "
            f"spoils every input with fresh Gaussian noise (std drawn up to {run.recipe.noise:g} per digit, every "
            "step), and the target stays the clean digit. Below, the same noise spoils the validation digits.")
level = st.slider("Noise added to the validation digits (standard deviation; pixels run from 0 to 1)", 0.0,
                  max(views.NOISE_LEVELS), 0.3, 0.05, key="ae-noise", bind="query-params")
dn = runners.run(views.denoise, runners.config(views.Denoise, source=source, noise=level), label="Adding noise")
show.images(dn.pictures, [f"Noisy input (error {dn.errors['input']:.4f} per pixel)", "Clean original (the target)",
                          f"{name['wide']} reconstructs the noisy input (error {dn.errors['wide']:.4f})",
                          f"{name['denoising']} reconstructs the noisy input (error {dn.errors['denoising']:.4f})"],
            columns=2)
show.chart(ae_charts.noise_errors, view.noise_curve, level, key="ae-noise-errors")
show.table(dn.table, key="ae-errors")
nf, df = view.noise_facts, dn.facts
since = (f"from noise {nf.denoising_wins_from:g} up" if nf.denoising_wins_from is not None else
         "only at some noise levels, not up to the largest" if nf.denoising_wins_anywhere else
         "at no noise level shown")
price = "pays for it" if nf.denoising_pays_on_clean else "does not even pay for it"
verdict = (f"{df.denoising_gain:.0%} less error than the plain AE of the same size" if df.denoising_gain > 0 else
           f"{-df.denoising_gain:.0%} more error than the plain AE: at this light noise, copying wins")
code_off = (f"yet noise throws its code off: its error rises from {df.noisy_clean_error_ae:.4f} to "
            f"{df.noisy_error_ae:.4f}" if df.noisy_error_ae > df.noisy_clean_error_ae else
            f"and its error does not rise ({df.noisy_clean_error_ae:.4f} clean, {df.noisy_error_ae:.4f} noisy)")
noisy = (f"at noise {df.noise_level:g} the noisy digits are {df.noisy_input_error:.4f} away from the clean ones. The "
         f"plain {run.recipe.wide}-D AE, trained on clean digits only, goes from {df.noisy_clean_error_wide:.4f} on "
         f"clean digits to {df.noisy_error_wide:.4f}: it copies part of the noise. The denoising AE gets "
         f"{df.noisy_error_denoising:.4f}, {verdict}. The 2-D AE cannot store noise in 2 numbers, {code_off}. "
         + ("A narrow bottleneck alone is not a denoiser; training on noisy inputs is. " if
            df.narrow_worse_than_denoising else ""))
chrome.notice((noisy if df.noise_level > 0 else "with no noise the inputs are the clean digits; move the slider. ") +
              f"The denoising AE beats the plain {run.recipe.wide}-D AE {since} (chart) and {price} on clean "
              f"digits ({nf.clean_error_denoising:.4f} against {nf.clean_error_wide:.4f}).", nf, df)

# 5. Variational autoencoder ----------------------------------------------------------------------------------------
chrome.section("5 · A variational autoencoder: a latent space to generate from", "67")
st.markdown("The VAE's encoder gives a **mean μ and a variance σ²** for each latent number; the code is drawn from "
            "them while training, and a KL term (added to the loss through the trainer's `aux_loss`) pulls every "
            "digit's distribution towards the standard normal. Its decoder has the plain 2-D AE's layers, with "
            "weights of its own.")
show.layers(view.vae_encoder, key="ae-vae-encoder", title="Digit")
with st.expander("The sampling step and the KL term in PyTorch (core/zoo/autoencoders.py)"):
    st.code(inspect.getsource(ae.Reparameterize) + "\n" + inspect.getsource(ae.VariationalAutoEncoder))
c1, c2 = st.columns(2)
start = c1.selectbox("Walk from digit", range(10), views.Walk.start, key="ae-from", bind="query-params")
end = c2.selectbox("to digit (the same digit: two ways of writing it)", range(10), views.Walk.end, key="ae-to",
                   bind="query-params")
walked = runners.run(views.walk, runners.config(views.Walk, source=source, start=start, end=end), label="Walking")
left, right = st.columns(2)
with left:
    show.chart(ae_charts.latent_map, view.codes_by["vae"], f"{name['vae']}: the grid's square and the walk",
               square=views.SPAN, path=walked.path, key="ae-vae-walk")
with right:
    st.image(view.grid, caption=f"The decoder on a {views.GRID} × {views.GRID} grid from −{views.SPAN:g} to "
                                f"{views.SPAN:g} on both axes (z2 up, z1 right): the dashed square on the map",
             width="stretch")
steps = " ".join(map(str, walked.nearest))
show.images([walked.latent, walked.pixels],
            [f"Walking the straight line between their codes, decoded (nearest validation digit per step: {steps})",
             "Cross-fading their pixels instead"], columns=1)
gf, wf = view.grid_facts, walked.facts
via = (f"through the region{'s' if len(wf.walk_crossed) > 1 else ''} of {', '.join(map(str, wf.walk_crossed))}"
       if wf.walk_crossed else "straight from one region into the other")
chrome.notice(f"neighbouring cells of the grid differ by {gf.grid_neighbour_rms:.3f} per pixel (RMS), random pairs of "
              f"cells by {gf.grid_random_rms:.3f}, {gf.grid_ratio:.1f} times more: a small step in the VAE's plane "
              "changes the decoded digit a little, a long one a lot, so the square is a smooth map of digits and a new "
              f"digit is drawn by picking a point in it. The walk from {wf.walk_start} to {wf.walk_end} goes {via} "
              f"(nearest digit per step: {' '.join(map(str, wf.walk_nearest))}). The cross-fade overlays the two "
              f"images instead: half-way, each is there at {wf.fade_halfway:.0%} brightness, a ghost rather than a "
              "digit.",
              gf, wf)
chrome.end()
