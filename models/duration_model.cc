#include "models/duration_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "common/byte_codec.h"
#include "models/class_shift.h"

namespace tailor::models {

double DurationPrediction::ms() const { return std::exp(mean_log_ms); }

DurationModel::DurationModel(DurationModelOptions options)
    : options_(options), factorization_({options.cf_lambda, options.cf_iterations}) {}

double DurationModel::PayloadLog(double payload_bytes) {
  return std::log1p(std::max(0.0, payload_bytes) / 1024.0);
}

Eigen::VectorXd DurationModel::Features(const std::vector<double>& class_features,
                                        double payload_log, double load) {
  Eigen::VectorXd x(class_features.size() + 2);
  for (size_t i = 0; i < class_features.size(); ++i) x[i] = class_features[i];
  x[class_features.size()] = payload_log;
  x[class_features.size() + 1] = load;
  return x;
}

uint32_t DurationModel::ClassId(const std::string& host_class) const {
  auto it = class_ids_.find(host_class);
  return it == class_ids_.end() ? UINT32_MAX : it->second;
}

uint32_t DurationModel::ClassIdOrAdd(const std::string& host_class) {
  auto [it, inserted] = class_ids_.emplace(host_class, static_cast<uint32_t>(class_ids_.size()));
  return it->second;
}

double DurationModel::NoiseVar(const FunctionState& f) const {
  // Until a function shows its own spread, a typical one (kTypicalNoiseVar, worth
  // kPriorNoiseRuns runs); never below the nominal noise.
  const double nominal = options_.noise_sd_log * options_.noise_sd_log;
  const double var =
      (kPriorNoiseRuns * kTypicalNoiseVar + f.residual_sq) / (kPriorNoiseRuns + f.residual_weight);
  return std::max(nominal, var);
}

double DurationModel::LoadCoefficient(const FunctionState& f) {
  return f.w.size() == 0 ? 0.0 : std::clamp(f.w[f.w.size() - 1], 0.0, kMaxLoadSensitivity);
}

Eigen::VectorXd DurationModel::PriorPrecision(size_t dims) const {
  Eigen::VectorXd prior =
      Eigen::VectorXd::Constant(static_cast<Eigen::Index>(dims), options_.prior_precision);
  // The payload coefficient (next to last: log1p of KiB, up to ~20): a small effect unless runs
  // insist. The load coefficient (last: load in [0, 1]) keeps the default prior; its use is
  // bounded by kMaxLoadSensitivity.
  if (dims >= 2) prior[static_cast<Eigen::Index>(dims) - 2] = options_.payload_prior_precision;
  return prior;
}

DurationModel::FunctionState& DurationModel::StateOf(const std::string& function, size_t dims) {
  auto it = functions_.find(function);
  if (it != functions_.end()) return it->second;
  FunctionState s;
  s.id = static_cast<uint32_t>(functions_.size());
  const Eigen::VectorXd prior = PriorPrecision(dims);
  s.precision = prior.asDiagonal();
  s.b = Eigen::VectorXd::Zero(dims);
  s.w = Eigen::VectorXd::Zero(dims);
  s.covariance = prior.cwiseInverse().asDiagonal();
  auto& [key, ref] = *functions_.emplace(function, std::move(s)).first;
  ref.name = &key;
  by_id_.push_back(&ref);  // unordered_map references stay valid across rehashing
  cell_counts_.push_back(0);
  own_load_.push_back(std::numeric_limits<double>::quiet_NaN());
  const auto group = group_of_.find(function);
  group_by_id_.push_back(group == group_of_.end() ? UINT32_MAX : group->second);
  return ref;
}

void DurationModel::Observe(const std::string& function, const std::string& host_class,
                            const std::vector<double>& class_features, double payload_bytes,
                            double load, double wall_ms) {
  const double y = std::log(std::max(wall_ms, 1e-3));
  FunctionState& f = StateOf(function, class_features.size() + 2);
  if (f.precision.rows() != static_cast<Eigen::Index>(class_features.size() + 2)) {
    return;  // class features changed shape: ignore
  }
  if (f.runs == 0) f.payload_centre_log = PayloadLog(payload_bytes);
  const Eigen::VectorXd x =
      Features(class_features, PayloadLog(payload_bytes) - f.payload_centre_log, load);
  const double sigma2 = NoiseVar(f);
  const double beta = 1.0 / sigma2;
  const double lambda = options_.regression_decay;
  const uint32_t cid = ClassIdOrAdd(host_class);
  // The regression learns durations as they would be without the class's shifts so far, so
  // that its runs from before a shift and after it agree (Predict adds the shifts back).
  const double unshifted_y = y - ShiftOf(cid);
  if (f.runs == 0) {
    f.prior_b = Eigen::VectorXd::Zero(x.size());
    // x[0] is the class features' bias term.
    f.prior_b[0] = options_.prior_precision * unshifted_y;
    f.b = f.prior_b;
  }
  // Decay toward the prior, then add the observation.
  f.precision = lambda * f.precision +
                (1 - lambda) * Eigen::MatrixXd(PriorPrecision(x.size()).asDiagonal()) +
                beta * x * x.transpose();
  f.b = lambda * f.b + (1 - lambda) * f.prior_b + beta * x * unshifted_y;
  Eigen::LLT<Eigen::MatrixXd> llt(f.precision);
  f.w = llt.solve(f.b);
  f.covariance = llt.solve(Eigen::MatrixXd::Identity(x.size(), x.size()));
  ++f.runs;
  SyncOwnLoad(f);

  // The cell keeps the log duration with this function's payload and load effects removed.
  const auto n = class_features.size();
  const double adjusted = y - f.w[n] * x[n] - LoadCoefficient(f) * x[n + 1];
  auto [cell_it, new_cell] = f.cells.try_emplace(cid);
  Cell& cell = cell_it->second;
  if (new_cell) IndexCell(f.id, cid, cell);
  if (cell.weight > 0) {
    // How far the run fell from what its cell expected: the function's own noise (a mean of w
    // runs misses a new one by sigma^2 (1 + 1/w) in expectation).
    const double r = adjusted - cell.mean;
    f.residual_sq = kNoiseDecay * f.residual_sq + r * r * cell.weight / (cell.weight + 1.0);
    f.residual_weight = kNoiseDecay * f.residual_weight + 1.0;
  }
  // A noisy function's cells average over more runs (the same spread of the mean as a function
  // at the nominal noise has over the nominal window).
  const double nominal = options_.noise_sd_log * options_.noise_sd_log;
  // At most kMaxCellWindow runs, so that effects learned since (payload, load) wash out.
  const double decay =
      std::min(1.0 - 1.0 / kMaxCellWindow,
               1.0 - (1.0 - options_.cell_decay) * std::min(1.0, nominal / sigma2));
  CountInWindow(f.id, cid, cell, decay);
  cell.weight = decay * cell.weight + 1.0;
  cell.mean += (adjusted - cell.mean) / cell.weight;
  SyncRefitCell(f.id, cid, cell);

  ++observations_;
  // Neighbour estimates: often while a function is new, then every 16 runs.
  if (f.runs < 32 || f.runs % 16 == 0) UpdateNeighbourEstimates(f);
  if (factorization_.fitted()) RefitFunctionRow(f.id);
  if (observations_ % options_.cf_refit_every == 0 ||
      (!factorization_.fitted() && observations_ >= 32)) {
    if (defer_refits_) {
      refit_due_ = true;
    } else {
      RefitFactorization();
    }
  }
  if (shift_windows_[cid].runs % kShiftCheckRuns == 0) CheckClassShift(cid);
}

double DurationModel::ShiftOf(uint32_t cid) const {
  return cid < class_shift_log_.size() ? class_shift_log_[cid] : 0.0;
}

void DurationModel::CountInWindow(uint32_t function_id, uint32_t cid, Cell& cell, double decay) {
  if (shift_windows_.size() <= cid) shift_windows_.resize(cid + 1);
  ShiftWindow& window = shift_windows_[cid];
  if (cell.window_epoch != window.epoch) {
    cell.window_epoch = window.epoch;
    cell.window_ref_mean = cell.mean;
    cell.window_stale_weight = cell.weight;
    cell.window_ref_weight = cell.weight;
    cell.window_runs = 0;
    if (cell.weight > 0) window.functions.push_back(function_id);
  }
  cell.window_stale_weight *= decay;  // as the weight decays with this run
  ++cell.window_runs;
  ++window.runs;
}

void DurationModel::CheckClassShift(uint32_t cid) {
  ShiftWindow& window = shift_windows_[cid];
  std::vector<ClassShift::Estimate> changes;
  for (uint32_t fid : window.functions) {
    const FunctionState& f = *by_id_[fid];
    const Cell& cell = f.cells.at(cid);
    if (cell.window_runs < kMinShiftWindowRuns) continue;
    // The window's runs make up this share of the cell; the cell moved that share of the way.
    const double fresh_weight = cell.weight - cell.window_stale_weight;
    if (fresh_weight <= 0) continue;
    const double change = (cell.mean - cell.window_ref_mean) * cell.weight / fresh_weight;
    // The mean of the window's runs against the mean before it, each as noisy as its runs.
    const double var = NoiseVar(f) * (1.0 / fresh_weight + 1.0 / cell.window_ref_weight);
    changes.push_back({change, var});
  }
  const std::optional<double> shift = ClassShift::Agreed(changes);
  if (shift) ApplyClassShift(cid, *shift);
  if (shift || window.runs >= kMaxShiftWindowRuns) {
    ++window.epoch;
    window.runs = 0;
    window.functions.clear();
  }
}

void DurationModel::ApplyClassShift(uint32_t cid, double shift_log) {
  const uint64_t epoch = shift_windows_[cid].epoch;
  // The functions with a cell here (ascending ids: the shift was seen in their cells, so the
  // class has its list); of the others, only those with two cells or more have neighbour
  // estimates (UpdateNeighbourEstimates). The rest are not looked at.
  const std::vector<uint32_t>& with_cell = functions_by_class_.at(cid);
  auto next_with_cell = with_cell.begin();
  for (uint32_t fid = 0; fid < by_id_.size(); ++fid) {
    if (next_with_cell != with_cell.end() && *next_with_cell == fid) {
      ++next_with_cell;
      Cell& cell = by_id_[fid]->cells.at(cid);
      const double stale =
          cell.window_epoch == epoch ? cell.window_stale_weight / cell.weight : 1.0;
      cell.mean = std::clamp(cell.mean + stale * shift_log, -kMaxAbsLogMs, kMaxAbsLogMs);
      SyncRefitCell(fid, cid, cell);
    } else if (cell_counts_[fid] >= 2) {
      auto& estimates = by_id_[fid]->neighbour_estimates;
      if (auto nb = estimates.find(cid); nb != estimates.end()) nb->second.mean += shift_log;
    }
  }
  if (class_shift_log_.size() <= cid) class_shift_log_.resize(cid + 1, 0.0);
  class_shift_log_[cid] =
      std::clamp(class_shift_log_[cid] + shift_log, -kMaxAbsLogMs, kMaxAbsLogMs);
  ++class_shifts_;
}

namespace {

// The order a fit sums cells in: by function, then class. A function's cells are summed in
// the same order wherever they are fitted, whatever order they were stored in.
bool ByFunctionThenClass(const Factorization::Cell& a, const Factorization::Cell& b) {
  return a.function != b.function ? a.function < b.function : a.host_class < b.host_class;
}

}  // namespace

void DurationModel::RefitFunctionRow(uint32_t fid) {
  thread_local std::vector<Factorization::Cell> cells;  // reused: no allocation per run
  cells.clear();
  for (const auto& [cid, cell] : by_id_[fid]->cells) cells.push_back(refit_cells_[cell.refit_slot]);
  std::sort(cells.begin(), cells.end(), ByFunctionThenClass);
  factorization_.RefitRow(fid, cells);
}

void DurationModel::SyncRefitCell(uint32_t function_id, uint32_t cid, const Cell& cell) {
  refit_cells_[cell.refit_slot] = {function_id, cid, cell.mean,
                                   std::min(cell.weight, Factorization::kMaxCellWeight)};
}

void DurationModel::SyncOwnLoad(const FunctionState& f) {
  own_load_[f.id] =
      f.runs >= kOwnLoadRuns ? LoadCoefficient(f) : std::numeric_limits<double>::quiet_NaN();
}

DurationModel::Refit DurationModel::PrepareRefit() const {
  Refit r;
  r.generation = generation_;
  r.factorization = factorization_;
  r.functions = static_cast<uint32_t>(by_id_.size());
  r.classes = static_cast<uint32_t>(class_ids_.size());
  r.cells = refit_cells_;
  r.own_load = own_load_;
  r.group_of_function = group_by_id_;
  // The fallback population: functions without hints (PopulationPrior says why).
  if (const auto unhinted = group_ids_.find(""); unhinted != group_ids_.end()) {
    r.unhinted_group = unhinted->second;
  }
  r.group_load_prior = group_load_prior_;
  r.group_load_prior.resize(group_ids_.size(), 0.0);
  return r;
}

void DurationModel::Refit::Run() {
  std::sort(cells.begin(), cells.end(), ByFunctionThenClass);
  fitted = factorization.Fit(cells, functions, classes);
  if (!fitted) return;
  const size_t groups = group_load_prior.size();
  std::vector<ClassPopulation::Cell> plain;
  std::vector<std::vector<ClassPopulation::Cell>> grouped(groups);
  for (const auto& c : cells) {
    const uint32_t g = group_of_function[c.function];
    if (g == UINT32_MAX || g == unhinted_group)
      plain.push_back({c.function, c.host_class, c.mean_log});
    if (g != UINT32_MAX) grouped[g].push_back({c.function, c.host_class, c.mean_log});
  }
  population.Fit(plain, classes);
  // Each group from its own functions' cells.
  group_populations.assign(groups, ClassPopulation{});
  for (size_t g = 0; g < groups; ++g) group_populations[g].Fit(grouped[g], classes);
  // Each group's mean load coefficient, over its functions with enough runs to know theirs (the
  // mean, not the median: where half a group waits on I/O and half fights over memory
  // bandwidth, a new function had better be taken as somewhat load-sensitive than not at all).
  std::vector<std::vector<double>> coefficients(groups + 1);  // last: everyone
  for (uint32_t fid = 0; fid < own_load.size(); ++fid) {
    const double coefficient = own_load[fid];
    if (std::isnan(coefficient)) continue;  // too few runs to know its own
    coefficients.back().push_back(coefficient);
    if (group_of_function[fid] != UINT32_MAX)
      coefficients[group_of_function[fid]].push_back(coefficient);
  }
  group_load.assign(coefficients.size(), 0.0);
  for (size_t g = 0; g < coefficients.size(); ++g) {
    auto& v = coefficients[g];
    if (v.empty() && g < groups && group_load_prior[g] > 0) {
      group_load[g] = group_load_prior[g];  // what the group's hint says, until it has data
      continue;
    }
    if (v.empty()) v = coefficients.back();
    if (v.empty()) continue;
    double coefficient_sum = 0;
    for (double c : v) coefficient_sum += c;
    group_load[g] = coefficient_sum / v.size();
  }
}

void DurationModel::RefitFactorization() {
  Refit refit = PrepareRefit();
  refit.Run();
  InstallRefit(std::move(refit));
}

std::optional<DurationModel::Refit> DurationModel::TakeDueRefit() {
  if (!refit_due_ || refit_in_flight_) return std::nullopt;
  refit_due_ = false;
  refit_in_flight_ = true;
  return PrepareRefit();
}

void DurationModel::InstallRefit(Refit&& refit) {
  if (refit.generation != generation_) return;  // taken before a Restore
  refit_in_flight_ = false;
  if (!refit.fitted) return;
  factorization_ = std::move(refit.factorization);
  population_ = std::move(refit.population);
  group_populations_ = std::move(refit.group_populations);
  group_load_ = std::move(refit.group_load);
}

void DurationModel::SetGroup(const std::string& function, const std::string& group,
                             double load_prior) {
  // Called at every decision: lookups first, so a known function and group allocate nothing.
  auto g = group_ids_.find(group);
  if (g == group_ids_.end()) {
    g = group_ids_.emplace(group, static_cast<uint32_t>(group_ids_.size())).first;
  }
  if (group_load_prior_.size() <= g->second) group_load_prior_.resize(g->second + 1, 0.0);
  group_load_prior_[g->second] = std::clamp(load_prior, 0.0, kMaxLoadSensitivity);
  if (auto f = group_of_.find(function); f != group_of_.end()) {
    if (f->second == g->second) return;
    f->second = g->second;
  } else {
    group_of_.emplace(function, g->second);
  }
  if (auto f = functions_.find(function); f != functions_.end())
    group_by_id_[f->second.id] = g->second;
}

const ClassPopulation& DurationModel::PopulationOf(const std::string& function) const {
  auto g = group_of_.find(function);
  if (g == group_of_.end() || g->second >= group_populations_.size()) return population_;
  const ClassPopulation& group = group_populations_[g->second];
  return group.best_for_most() != ClassPopulation::kNone ? group : population_;
}

DurationModel::ClassPrior DurationModel::PopulationPrior(const std::string& function,
                                                         const std::string& host_class) const {
  const ClassPopulation& population = PopulationOf(function);
  const uint32_t cid = ClassId(host_class);
  const uint32_t best = population.best_for_most();
  if (cid == UINT32_MAX || best == ClassPopulation::kNone) return {};
  if (cid == best) return {0.0, 0.0, true};
  const ClassPopulation::Difference* d = population.Between(best, cid);
  if (d == nullptr) return {};
  return {d->mean, d->var, true};
}

void DurationModel::IndexCell(uint32_t function_id, uint32_t cid, Cell& cell) {
  if (functions_by_class_.size() <= cid) functions_by_class_.resize(cid + 1);
  auto& ids = functions_by_class_[cid];
  ids.insert(std::lower_bound(ids.begin(), ids.end(), function_id), function_id);
  ++cell_counts_[function_id];
  cell.refit_slot = static_cast<uint32_t>(refit_cells_.size());
  refit_cells_.emplace_back();
  SyncRefitCell(function_id, cid, cell);
}

void DurationModel::UpdateNeighbourEstimates(FunctionState& f) {
  f.neighbour_estimates.clear();
  f.estimates_at_runs = f.runs;
  // One cell says nothing about shape: every function matches it.
  if (f.cells.size() < 2) return;
  const size_t nc = class_ids_.size();
  // Per missing class: (weight, prediction) of each candidate neighbour.
  std::vector<std::vector<std::pair<double, double>>> votes(nc);
  // f's cells are means of noisy runs, so its shape is known only to within their noise
  // (`shape_var`: a cell's variance, averaged), and so is the level a vote is moved to
  // (`level_var`). A shape seen through a run or two per class matches neighbours loosely and
  // predicts no more surely than those runs were measured: without these terms a neighbour
  // matched on one run elsewhere was trusted as if that run were exact.
  const double noise_var = NoiseVar(f);
  double shape_var = 0, runs_weight = 0;
  for (const auto& [cid, cell] : f.cells) {
    shape_var += noise_var / cell.weight;
    runs_weight += cell.weight;
  }
  shape_var /= static_cast<double>(f.cells.size());
  const double level_var = noise_var / runs_weight;
  const double tau2 = options_.neighbour_scale_log * options_.neighbour_scale_log + shape_var;
  // A neighbour ran on every class f ran on, so the shortest of those classes' lists holds
  // them all (in id order, as by_id_ would give them).
  const std::vector<uint32_t>* candidates = nullptr;
  for (const auto& [cid, cell] : f.cells) {
    const auto& ids = functions_by_class_[cid];
    if (candidates == nullptr || ids.size() < candidates->size()) candidates = &ids;
  }
  for (uint32_t gid : *candidates) {
    if (gid == f.id || cell_counts_[gid] <= f.cells.size()) continue;
    const FunctionState* g = by_id_[gid];
    // Shape match on f's classes, up to a constant offset (a faster or slower function).
    double offset = 0;
    size_t shared = 0;
    for (const auto& [cid, cell] : f.cells) {
      auto it = g->cells.find(cid);
      if (it == g->cells.end()) break;
      offset += cell.mean - it->second.mean;
      ++shared;
    }
    if (shared != f.cells.size()) continue;
    offset /= static_cast<double>(shared);
    double d2 = 0;
    for (const auto& [cid, cell] : f.cells) {
      const double r = cell.mean - g->cells.at(cid).mean - offset;
      d2 += r * r;
    }
    d2 /= static_cast<double>(shared);
    const double weight = std::exp(-d2 / (2 * tau2));
    if (weight < 1e-6) continue;
    for (const auto& [cid, cell] : g->cells) {
      if (!f.cells.contains(cid)) votes[cid].emplace_back(weight, cell.mean + offset);
    }
  }
  for (size_t cid = 0; cid < nc; ++cid) {
    auto& v = votes[cid];
    if (v.empty()) continue;
    const size_t k = std::min<size_t>(v.size(), static_cast<size_t>(options_.neighbours));
    std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
    double wsum = 0, mean = 0;
    for (size_t i = 0; i < k; ++i) {
      wsum += v[i].first;
      mean += v[i].first * v[i].second;
    }
    mean /= wsum;
    double spread = 0;
    for (size_t i = 0; i < k; ++i) spread += v[i].first * std::pow(v[i].second - mean, 2);
    spread /= wsum;
    // Disagreement among neighbours, plus how well the best of them matched at all.
    const double best_match = v[0].first;
    Estimate e;
    e.mean = mean;
    e.var =
        spread + tau2 * (1.0 + 1.0 / best_match) / static_cast<double>(f.cells.size()) + level_var;
    f.neighbour_estimates[static_cast<uint32_t>(cid)] = e;
  }
}

DurationPrediction DurationModel::Predict(const std::string& function,
                                          const std::string& host_class,
                                          const std::vector<double>& class_features,
                                          std::optional<double> payload_bytes, double load) const {
  DurationPrediction p;
  auto it = functions_.find(function);
  if (it == functions_.end()) return p;
  const FunctionState& f = it->second;
  const double payload_log =
      payload_bytes ? PayloadLog(*payload_bytes) - f.payload_centre_log : 0.0;
  const Eigen::VectorXd x = Features(class_features, payload_log, load);
  if (f.precision.rows() != x.size()) return p;
  p.known = true;
  const auto n = class_features.size();
  p.payload_term = f.w[n] * x[n];
  p.load_term = LoadCoefficient(f) * x[n + 1];
  const double sigma2 = NoiseVar(f);

  // Precision-weighted combination of the estimators that have something to say.
  double num = 0, den = 0;
  auto add = [&](double mean, double var) {
    num += mean / var;
    den += 1.0 / var;
  };
  // Regression (features of the class, payload, load).
  const uint32_t cid = ClassId(host_class);
  add(f.w.dot(x) + ShiftOf(cid), std::max(1e-6, x.dot(f.covariance * x)) + 0.05);
  auto cell = cid == UINT32_MAX ? f.cells.end() : f.cells.find(cid);
  if (cell != f.cells.end()) {
    p.cell_runs = cell->second.weight;
    add(cell->second.mean + p.payload_term + p.load_term, sigma2 / cell->second.weight);
  } else if (auto nb =
                 cid == UINT32_MAX ? f.neighbour_estimates.end() : f.neighbour_estimates.find(cid);
             nb != f.neighbour_estimates.end()) {
    add(nb->second.mean + p.payload_term + p.load_term, nb->second.var);
  } else if (cid != UINT32_MAX && factorization_.Covers(f.id, cid) &&
             f.cells.size() > static_cast<size_t>(Factorization::kRank)) {
    // The function's factors are only determined once it ran on more classes than the rank.
    const double cf = factorization_.Predict(f.id, cid);
    // Less trust when the function has been seen on few classes.
    const double rmse = factorization_.rmse();
    const double var = rmse * rmse * (1.0 + 2.0 / (1.0 + f.cells.size()));
    add(cf + p.payload_term + p.load_term, var);
  }
  if (cell == f.cells.end() && cid != UINT32_MAX) {
    // The population: as functions in general compare between a class this one ran on and
    // this class (the best-founded such comparison).
    const ClassPopulation& population = PopulationOf(function);
    double best_mean = 0, best_var = std::numeric_limits<double>::infinity();
    for (const auto& [from, other] : f.cells) {
      const ClassPopulation::Difference* d = population.Between(from, cid);
      if (d == nullptr) continue;
      const double var = d->var + sigma2 / other.weight;
      if (var < best_var) best_var = var, best_mean = other.mean + d->mean;
    }
    if (std::isfinite(best_var)) {
      add(best_mean + p.payload_term + p.load_term, best_var);
      p.from_population = true;
    }
  }
  p.mean_log_ms = num / den;
  p.var_log = 1.0 / den;
  if (cell == f.cells.end() && !f.cells.empty()) {
    // A class the function never ran on, of a function known elsewhere (kCrossClassVarLog).
    double best_cell_var = std::numeric_limits<double>::infinity();
    for (const auto& [id, c] : f.cells) best_cell_var = std::min(best_cell_var, sigma2 / c.weight);
    p.var_log = std::min(p.var_log, kCrossClassVarLog + best_cell_var);
  }
  return p;
}

double DurationModel::PayloadSensitivity(const std::string& function) const {
  auto it = functions_.find(function);
  if (it == functions_.end() || it->second.w.size() < 2) return 0;
  return it->second.w[it->second.w.size() - 2];
}

double DurationModel::PayloadTerm(const std::string& function, double payload_bytes) const {
  auto it = functions_.find(function);
  if (it == functions_.end() || it->second.w.size() < 2) return 0;
  const FunctionState& f = it->second;
  return f.w[f.w.size() - 2] * (PayloadLog(payload_bytes) - f.payload_centre_log);
}

uint64_t DurationModel::Runs(const std::string& function) const {
  auto it = functions_.find(function);
  return it == functions_.end() ? 0 : it->second.runs;
}

double DurationModel::LoadSensitivity(const std::string& function) const {
  // Until its own runs tell, a function is as load-sensitive as its group's mean.
  double population = 0;
  auto g = group_of_.find(function);
  if (g != group_of_.end() && g->second + 1 < group_load_.size()) {
    population = group_load_[g->second];
  } else if (g != group_of_.end() && g->second < group_load_prior_.size() &&
             group_load_prior_[g->second] > 0) {
    population = group_load_prior_[g->second];  // the group is newer than the last fit
  } else if (!group_load_.empty()) {
    population = group_load_.back();
  }
  auto it = functions_.find(function);
  if (it == functions_.end() || it->second.w.size() == 0) return population;
  const double own = static_cast<double>(it->second.runs) / (it->second.runs + kOwnLoadRuns);
  return own * LoadCoefficient(it->second) + (1 - own) * population;
}

namespace {

constexpr char kModelMagic[] = "tailor-duration-model";
// 1 was text; 2 had no residuals (read with none observed yet); 2 and 3 had an uncentred
// payload feature (read with centre 0, which is what it was); 2 to 4 had no class shifts (read
// as none).
constexpr uint32_t kModelVersion = 5;
constexpr double kMaxPayloadLog = 45;  // log1p(2^64 / 1024) is about 37

bool AllFinite(const double* v, Eigen::Index n) {
  for (Eigen::Index i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) return false;
  }
  return true;
}

void ReadDoubles(ByteReader& in, double* v, Eigen::Index n) {
  for (Eigen::Index i = 0; i < n; ++i) v[i] = in.F64();
  if (!AllFinite(v, n)) in.Fail();
}

}  // namespace

void DurationModel::WriteFunction(const FunctionState& f, ByteWriter& out) const {
  const auto d = f.precision.rows();
  out.Str(*f.name);
  out.U64(f.runs);
  out.U32(static_cast<uint32_t>(d));
  for (Eigen::Index i = 0; i < d; ++i) out.F64(f.prior_b[i]);
  for (Eigen::Index i = 0; i < d * d; ++i) out.F64(f.precision.data()[i]);
  for (Eigen::Index i = 0; i < d; ++i) out.F64(f.b[i]);
  // In class order, so that the same model always saves to the same bytes.
  std::vector<std::pair<uint32_t, const Cell*>> cells;
  cells.reserve(f.cells.size());
  for (const auto& [cid, cell] : f.cells) cells.emplace_back(cid, &cell);
  std::sort(cells.begin(), cells.end());
  out.U64(cells.size());
  for (const auto& [cid, cell] : cells) {
    out.U32(cid);
    out.F64(cell->weight);
    out.F64(cell->mean);
  }
  out.F64(f.residual_sq);
  out.F64(f.residual_weight);
  out.F64(f.payload_centre_log);
}

DurationModel::PartedSave DurationModel::StartSave() const {
  PartedSave save;
  save.generation_ = generation_;
  save.class_shifts_ = class_shifts_;
  return save;
}

bool DurationModel::PartedSave::Current(const DurationModel& model) const {
  return model.generation_ == generation_ && model.class_shifts_ == class_shifts_;
}

bool DurationModel::PartedSave::WriteSome(const DurationModel& model, size_t max_functions) {
  if (!Current(model)) *this = model.StartSave();  // the functions written are gone or moved
  if (!head_.bytes().empty()) return true;         // written in full already
  const size_t end = next_ + std::min(max_functions, model.by_id_.size() - next_);
  ByteWriter part;
  for (; next_ < end; ++next_) model.WriteFunction(*model.by_id_[next_], part);
  records_.Add(std::move(part));
  if (next_ < model.by_id_.size()) return false;
  head_.Str(kModelMagic);
  head_.U32(kModelVersion);
  std::vector<std::string_view> classes(model.class_ids_.size());
  for (const auto& [name, id] : model.class_ids_) classes[id] = name;
  head_.U64(classes.size());
  for (const auto& c : classes) head_.Str(c);
  head_.U64(next_);
  tail_.U64(model.class_shift_log_.size());
  for (double shift : model.class_shift_log_) tail_.F64(shift);
  return true;
}

void DurationModel::PartedSave::AppendTo(ByteWriter& out) const {
  out.Raw(head_.bytes());
  records_.AppendTo(out);
  out.Raw(tail_.bytes());
}

std::string DurationModel::PartedSave::Take() const {
  ByteWriter out;
  out.Reserve(size());
  AppendTo(out);
  return out.Take();
}

std::string DurationModel::Save() const {
  PartedSave save = StartSave();
  save.WriteSome(*this, SIZE_MAX);
  return save.Take();
}

bool DurationModel::Restore(std::string_view bytes) {
  ByteReader in(bytes);
  if (in.Str(64) != kModelMagic) return false;
  const uint32_t version = in.U32();
  if (version < 2 || version > kModelVersion) return false;
  DurationModel m(options_);
  const size_t nclasses = in.Count(1'000'000, 8);
  for (size_t i = 0; i < nclasses && in.ok(); ++i) {
    m.class_ids_[in.Str(256)] = static_cast<uint32_t>(i);
  }
  if (m.class_ids_.size() != nclasses) in.Fail();  // a name twice
  const size_t nfunctions = in.Count(10'000'000, 8 + 8 + 4 + 8);
  for (size_t i = 0; i < nfunctions && in.ok(); ++i) {
    const std::string name = in.Str(256);
    const uint64_t runs = in.U64();
    const Eigen::Index d = in.U32();
    if (!in.ok() || d <= 0 || d > 256 || m.functions_.contains(name)) return false;
    FunctionState& f = m.StateOf(name, static_cast<size_t>(d));
    f.runs = runs;
    f.prior_b = Eigen::VectorXd(d);
    ReadDoubles(in, f.prior_b.data(), d);
    ReadDoubles(in, f.precision.data(), d * d);
    ReadDoubles(in, f.b.data(), d);
    const size_t ncells = in.Count(nclasses, 20);
    for (size_t j = 0; j < ncells && in.ok(); ++j) {
      const uint32_t cid = in.U32();
      Cell cell;
      cell.weight = in.F64();
      cell.mean = in.F64();
      if (cid >= nclasses || !std::isfinite(cell.weight) || cell.weight < 0 ||
          !(std::abs(cell.mean) <= kMaxAbsLogMs)) {
        return false;
      }
      auto [at, added] = f.cells.try_emplace(cid, cell);
      if (!added) return false;  // a class twice
      m.IndexCell(f.id, cid, at->second);
    }
    if (version >= 3) {
      f.residual_sq = in.F64();
      f.residual_weight = in.F64();
      if (!(f.residual_sq >= 0 && f.residual_sq <= kMaxAbsLogMs * kMaxAbsLogMs * 100) ||
          !(f.residual_weight >= 0 && f.residual_weight <= 1e6)) {
        return false;
      }
    }
    if (version >= 4) {
      f.payload_centre_log = in.F64();
      if (!(f.payload_centre_log >= 0 && f.payload_centre_log <= kMaxPayloadLog)) return false;
    }
    if (!in.ok()) return false;
    Eigen::LLT<Eigen::MatrixXd> llt(f.precision);
    if (llt.info() != Eigen::Success) return false;
    f.w = llt.solve(f.b);
    f.covariance = llt.solve(Eigen::MatrixXd::Identity(d, d));
    if (!AllFinite(f.w.data(), d) || !AllFinite(f.covariance.data(), d * d)) return false;
    // Each weight moves a log duration; one beyond any duration's log is damage.
    if (f.w.cwiseAbs().maxCoeff() > kMaxAbsLogMs) return false;
    m.SyncOwnLoad(f);
  }
  if (version >= 5) {
    m.class_shift_log_.resize(in.Count(nclasses, 8));
    for (double& shift : m.class_shift_log_) {
      shift = in.F64();
      if (!(std::abs(shift) <= kMaxAbsLogMs)) return false;
    }
  }
  if (!in.AtEnd()) return false;
  for (auto& [name, f] : m.functions_) m.UpdateNeighbourEstimates(f);
  m.observations_ = 0;
  m.RefitFactorization();
  // A refit taken before now must not be installed over what was restored.
  m.generation_ = NewGeneration();
  m.defer_refits_ = defer_refits_;
  *this = std::move(m);
  // by_id_ points into the moved map's nodes, which moved with it (node-based container).
  return true;
}

}  // namespace tailor::models
