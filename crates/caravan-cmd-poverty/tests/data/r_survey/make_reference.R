# Reference values from R `survey` (Lumley) for `caravan poverty compare` (tests/it/compare.rs).
# Run from this folder: Rscript make_reference.R
# 1. Generates two independent survey rounds (fixed seed): 6 strata, 4-7 PSUs each, 8-20
#    households per PSU; welfare log-normal with a PSU effect; round 2 grows and is redrawn.
# 2. Estimates with survey::svydesign(ids = ~psu, strata = ~stratum, weights = ~pw, nest = TRUE),
#    pw = weight * size (person weights), poor = welfare < line, linearised (svyrecvar) SEs.
library(survey)
options(digits = 17)
set.seed(20261129)
make_round <- function(growth, n_strata = 6) {
  rows <- list()
  for (h in seq_len(n_strata)) {
    n_psu <- sample(4:7, 1)
    for (j in seq_len(n_psu)) {
      n_hh <- sample(8:20, 1)
      psu_effect <- rnorm(1, 0, 0.3)
      rows[[length(rows) + 1]] <- data.frame(
        stratum = sprintf("S%d", h),
        psu = sprintf("S%d-P%d", h, j),
        welfare = round(exp(rnorm(n_hh, log(3.2 * growth) + 0.15 * h + psu_effect, 0.7)), 4),
        weight = round(runif(n_hh, 50, 400), 3),
        size = sample(1:9, n_hh, replace = TRUE)
      )
    }
  }
  do.call(rbind, rows)
}
before <- make_round(1.0)
after <- make_round(1.12)
write.csv(before, "before.csv", row.names = FALSE)
write.csv(after, "after.csv", row.names = FALSE)
line <- 3.0
design <- function(d) {
  d$pw <- d$weight * d$size
  d$poor <- as.numeric(d$welfare < line)
  d$one <- 1
  d$gap <- pmax(0, (line - d$welfare) / line)
  d$gap2 <- d$gap^2
  svydesign(ids = ~psu, strata = ~stratum, weights = ~pw, nest = TRUE, data = d)
}
d1 <- design(before)
d2 <- design(after)
out <- data.frame(name = character(), value = numeric(), se = numeric())
add <- function(name, value, se) {
  out[nrow(out) + 1, ] <<- list(name, value, se)
}
for (side in c("before", "after")) {
  d <- if (side == "before") d1 else d2
  for (v in c("welfare", "poor", "gap", "gap2")) {
    m <- svymean(as.formula(paste0("~", v)), d)
    name <- c(welfare = "mean", poor = "fgt0", gap = "fgt1", gap2 = "fgt2")[[v]]
    add(paste0(side, ".", name), coef(m)[[1]], SE(m)[[1]])
  }
}
t1 <- svytotal(~poor + one, d1)
t2 <- svytotal(~poor + one, d2)
np1 <- coef(t1)[["poor"]]; n1 <- coef(t1)[["one"]]
np2 <- coef(t2)[["poor"]]; n2 <- coef(t2)[["one"]]
h2 <- np2 / n2
# Net change N2 H2 - N1 H1: independent rounds, variances add.
add("net_change", np2 - np1, sqrt(SE(t1)[["poor"]]^2 + SE(t2)[["poor"]]^2))
# Rate effect (H2 - H1) N1 = h2 n1 - np1: round 1 with h2 fixed, round 2 through h2 = np2 / n2.
r1 <- svycontrast(t1, c(poor = -1, one = h2))
r2 <- svycontrast(t2, quote(poor / one))
add("rate_effect", h2 * n1 - np1, sqrt(SE(r1)[[1]]^2 + (n1 * SE(r2)[[1]])^2))
# Population effect H2 (N2 - N1) = np2 - h2 n1: round 2 with n1 fixed, round 1 through n1.
assign("n1_fixed", n1, envir = globalenv())
p2 <- svycontrast(t2, quote(poor - n1_fixed * poor / one))
add("population_effect", np2 - h2 * n1, sqrt(SE(p2)[[1]]^2 + (h2 * SE(t1)[["one"]])^2))
# Datt and Ravallion (1992): P(mu_t, L_r) is round r's FGT at the line z * mu_r / mu_t.
fgt_at <- function(d, z, alpha) {
  y <- d$variables$welfare
  x <- ifelse(y < z, ((z - y) / z)^alpha, 0)
  sum(weights(d) * x) / sum(weights(d))
}
mu1 <- coef(svymean(~welfare, d1))[[1]]
mu2 <- coef(svymean(~welfare, d2))[[1]]
for (alpha in 0:2) {
  p11 <- fgt_at(d1, line, alpha); p22 <- fgt_at(d2, line, alpha)
  p21 <- fgt_at(d1, line * mu1 / mu2, alpha); p12 <- fgt_at(d2, line * mu2 / mu1, alpha)
  add(sprintf("dr%d.reference_before.growth", alpha), p21 - p11, NA)
  add(sprintf("dr%d.reference_before.redistribution", alpha), p12 - p11, NA)
  add(sprintf("dr%d.reference_after.growth", alpha), p22 - p12, NA)
  add(sprintf("dr%d.reference_after.redistribution", alpha), p22 - p21, NA)
}
write.csv(out, "reference.csv", row.names = FALSE)
cat(R.version.string, "survey", as.character(packageVersion("survey")), "\n")
print(out)
