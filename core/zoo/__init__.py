"""The network zoo (slides 65-71): one module per architecture, each trained through `core.training`.

Each architecture module `<arch>.py` (`cnn`, `autoencoders`, `fcn`, `recurrent`, `transformer`, `gan`)
holds its networks, its offline data, `Recipe`, `build`, `train(recipe) -> Trained`, `shipped()`
(read back from `assets/zoo/`, no training) and a `SHIPPED` table: the makers of those small trained
weights, which make its page's default view ready at once. `<arch>_lab.py` holds the experiments a
page runs on a trained model (`fn(cfg, trained) -> FnResult`); `core.zoo.source.resolve` is the one
way to get a model. `python -m core.zoo` (see `core/zoo/__main__.py`) remakes the weights;
`core.zoo.weights` saves and loads them without ever unpickling an object. A module that ships weights
without being an architecture of its own (`transformer_seq2seq`) is listed in `core/zoo/__main__.py`'s EXTRA.
"""
ARCHITECTURES = ("cnn", "autoencoders", "fcn", "recurrent", "transformer", "gan")
