"""``estimate --replication DIR``: what an opposing expert needs to rerun the estimate.

The folder holds the capture histories (one CSV for all strata together and
one per stratum, a 0/1 column per list and ``Freq``), ``settings.json`` (the
method, every setting, the seed, the software versions, SHA-256 of each CSV,
and the result), and ``replicate.R``, an R script that reruns the estimate
with the reference implementations: LCMCR (Manrique-Vallier's package, whose
sampler ours follows) and Rcapture (log-linear models with profile
intervals). An R run draws other random numbers than NumPy, so an LCMCR
rerun agrees within Monte Carlo error, not to the digit; the log-linear
figures agree exactly.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from dadkhahi.domain.errors import UserError
from dadkhahi.domain.files import DIR_MODE, private_dir, write_private_text
from dadkhahi.estimate.result import EstimateResult
from dadkhahi.estimate.table import COUNT, STRATUM, collapse_strata, list_names, split_strata

ALL = "capture_histories.csv"


def _r_name(name: str) -> str:
    """A column name R reads as is: letters, digits and dots, starting with a letter."""
    clean = re.sub(r"[^A-Za-z0-9.]", ".", name)
    return clean if clean[:1].isalpha() else f"L.{clean}"


def _file_of(stratum: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]+", "_", stratum).strip("_") or "stratum"
    name, n = f"stratum_{base}.csv", 1
    while name in taken:
        n += 1
        name = f"stratum_{base}_{n}.csv"
    taken.add(name)
    return name


def _write_csv(table: pd.DataFrame, lists: list[str], path: Path) -> str:
    out = table[lists].rename(columns={c: _r_name(c) for c in lists}).astype("int64")
    out["Freq"] = table[COUNT].astype("int64").to_numpy()
    text = out.to_csv(index=False, lineterminator="\n")
    write_private_text(path, text)
    return hashlib.sha256(text.encode()).hexdigest()


def write_replication(
    folder: Path, table: pd.DataFrame, result: EstimateResult, settings: Mapping[str, Any],
) -> list[Path]:
    """Write the replication folder (see the module docstring); returns the files.

    ``settings`` holds at least ``seed`` and the LCMCR settings used
    (``max_classes``, ``iterations``, ``burnin``, ``chains``), and may hold
    anything else worth recording (versions, linkage). The folder must be
    new or empty: nothing in it is overwritten.
    """
    if folder.exists() and any(folder.iterdir()):
        raise UserError(f"--replication needs a new or empty folder: {folder} is not empty")
    private_dir(folder)
    # New or empty, so the estimate's: 700 even when made beforehand with another mode
    # (the strata's files are named after them, a listing shows the names).
    os.chmod(folder, DIR_MODE)
    lists = list_names(table)
    if len({_r_name(c) for c in lists}) < len(lists):
        raise UserError("two list names read the same in R; rename the lists")
    hashes = {ALL: _write_csv(collapse_strata(table), lists, folder / ALL)}
    strata: dict[str, str] = {}
    if STRATUM in table.columns:
        taken: set[str] = {ALL}
        for name, part in split_strata(table).items():
            file = _file_of(name, taken)
            strata[name] = file
            hashes[file] = _write_csv(part, lists, folder / file)
    record = {
        "note": "Capture histories: one row per pattern of lists, Freq people each. "
                "Rerun with: Rscript replicate.R (R packages LCMCR and Rcapture).",
        "lists": {_r_name(c): c for c in lists},
        "strata": strata,
        "sha256": hashes,
        "settings": dict(settings),
        "result": {
            "method": result.method, "documented": result.documented,
            "estimate": result.estimate, "interval": list(result.interval),
            "level": result.level,
        },
    }
    write_private_text(folder / "settings.json",
                       json.dumps(record, indent=2, ensure_ascii=False, default=str))
    write_private_text(folder / "replicate.R", _r_script(lists, strata, settings, result))
    return [folder / ALL, *(folder / f for f in strata.values()), folder / "settings.json",
            folder / "replicate.R"]


def _r_number(value: float) -> str:
    """A number as R reads it (R spells infinity Inf)."""
    return f"{value:.1f}" if value == value and abs(value) != float("inf") else (
        "Inf" if value > 0 else "NA")


def _r_script(lists: list[str], strata: Mapping[str, str], settings: Mapping[str, Any],
              result: EstimateResult) -> str:
    k = int(settings.get("max_classes", 10))
    seed = int(settings.get("seed", 1))
    iterations = int(settings.get("iterations", 20000))
    burnin = settings.get("burnin") or iterations // 4
    files = list(strata.values()) or [ALL]
    level = result.level
    names = ", ".join(f'"{_r_name(c)}"' for c in lists)
    low, high = (_r_number(v) for v in result.interval)
    files_r = ", ".join(f'"{f}"' for f in files)
    return f"""# Rerun of a Dadkhahi estimate with the reference R packages.
# Estimate as computed: {result.method}, {_r_number(result.estimate)}
#   ({level:.0%} interval {low} - {high}), {result.documented} documented.
# Needs: install.packages(c("LCMCR", "Rcapture")). Run: Rscript replicate.R
# LCMCR draws its own random numbers: expect agreement within Monte Carlo
# error. Rcapture's log-linear fits are deterministic.

library(LCMCR)
library(Rcapture)

lists <- c({names})
files <- c({files_r})
level <- {level}
alpha <- (1 - level) / 2

read_table <- function(file) {{
  x <- read.csv(file, check.names = FALSE)
  stopifnot(identical(names(x), c(lists, "Freq")))
  x
}}

lcmcr_draws <- function(x, seed) {{
  captures <- x
  captures[lists] <- lapply(captures[lists], function(v) factor(v, levels = c(0, 1)))
  sampler <- lcmCR(captures = captures, tabular = TRUE, in_list_label = "1",
                   not_in_list_label = "0", K = {k}, a_alpha = 0.25, b_alpha = 0.25,
                   seed = seed, buffer_size = 10000, thinning = 10, verbose = FALSE)
  lcmCR_PostSampl(sampler, burnin = {burnin}, samples = 10000, thinning = 10,
                  output = FALSE)
}}

# LCMCR (Manrique-Vallier 2016): per stratum, then the draws summed across strata.
total <- 0
for (i in seq_along(files)) {{
  x <- read_table(files[i])
  draws <- lcmcr_draws(x, {seed} + i - 1)
  cat(files[i], ": LCMCR median", median(draws), "interval",
      quantile(draws, c(alpha, 1 - alpha)), "\\n")
  total <- total + draws
}}
cat("LCMCR total: median", median(total), "interval",
    quantile(total, c(alpha, 1 - alpha)), "\\n")

# Log-linear models (Rcapture): every hierarchical model's fit, then the
# profile-likelihood interval of the model with the lowest AIC.
for (file in files) {{
  x <- read_table(file)
  fits <- closedpMS.t(x, dfreq = TRUE, maxorder = 2)
  print(fits)
  best <- rownames(fits$results)[which.min(fits$results[, "AIC"])]
  cat(file, ": lowest AIC", best, "\\n")
}}
cat("Dadkhahi's result:", {_r_number(result.estimate)}, "(", {low}, "-", {high}, ")\\n")
"""
