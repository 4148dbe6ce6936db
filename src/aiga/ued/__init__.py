"""Unsupervised environment design: PAIRED, robust PLR (PLR⊥), ACCEL and domain randomisation.

Papers: Dennis, Jaques et al. 2020 (PAIRED); Jiang, Dennis et al. 2021 (PLR⊥); Parker-Holder, Jiang et
al. 2022 (ACCEL). Reference code: DramaCow/jaxued, facebookresearch/minimax, facebookresearch/dcd. One
readable file per method (``dr``, ``plr``, ``accel``, ``paired``) over a small library (``networks``,
``ppo``, ``scores``, ``buffer``, ``common``); ``walker`` runs DR/PLR⊥/ACCEL over any ``EnvFamily`` with an
ES agent; ``run``/``cli``/``report`` give the ``aiga ued`` command. See docs/ued.md. Importing this
package imports nothing heavy; the submodules import JAX.
"""
