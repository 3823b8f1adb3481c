# The R package LCMCR (Manrique-Vallier, 0.4.14) on arm 1's true tables of the
# linkage-uncertainty design (issue 13, stop 35): the reference implementation
# of the model dadkhahi.estimate.lcmcr ports, on the very tables arm 1 estimates.
# K = 10, a_alpha = b_alpha = 0.25 (the package's example and dadkhahi's default),
# 10,000 sweeps of burn-in, then 4,000 draws thinned by 20; seed 1000 + r.
#
# Optional third to fifth arguments: K, a_alpha, b_alpha (a sensitivity check).
#
#   .venv/bin/python benchmarks/estimate/study_lu_bias.py --write-tables build/lu_tables
#   Rscript benchmarks/estimate/lcmcr_reference.R build/lu_tables build/lu_r_lcmcr.csv
#   Rscript benchmarks/estimate/lcmcr_reference.R build/lu_tables build/lu_r_k2.csv 2
library(LCMCR)
args <- commandArgs(trailingOnly = TRUE)
tables <- args[1]
k <- if (length(args) >= 3) as.integer(args[3]) else 10L
a_alpha <- if (length(args) >= 4) as.numeric(args[4]) else 0.25
b_alpha <- if (length(args) >= 5) as.numeric(args[5]) else 0.25
out <- file(args[2], "w")
writeLines("dependence,run,documented,median,mean,low,high,K,a_alpha,b_alpha", out)
for (dep in c("0.25", "0")) for (r in 1:50) {
  t <- read.csv(file.path(tables, sprintf("dep%s_%d.csv", dep, r)))
  # One row per person, each list a factor of 0/1, as lcmCR reads individual data.
  ind <- t[rep(seq_len(nrow(t)), t$Freq), 1:5]
  ind[] <- lapply(ind, function(v) factor(v, levels = c(0, 1)))
  s <- lcmCR(captures = ind, tabular = FALSE, in_list_label = "1", not_in_list_label = "0",
             K = k, a_alpha = a_alpha, b_alpha = b_alpha, seed = 1000 + r,
             buffer_size = 10000, thinning = 20, verbose = FALSE)
  n <- lcmCR_PostSampl(s, burnin = 10000, samples = 4000, thinning = 20, output = FALSE)
  q <- quantile(n, c(0.025, 0.975))
  writeLines(sprintf("%s,%d,%d,%.1f,%.1f,%.1f,%.1f,%d,%g,%g", dep, r, sum(t$Freq), median(n),
                     mean(n), q[1], q[2], k, a_alpha, b_alpha), out)
  flush(out)
}
close(out)
