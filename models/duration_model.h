// DurationModel: what Tailor learns about how long each function runs on each host class.
//
// Three estimators of the expected log duration, combined by precision (inverse variance):
//   - the cell: decayed mean of the function's own runs on that class (payload and load
//     effects taken out), which after a few runs is what the function really does there;
//   - a per-function Bayesian linear regression of log duration on the class's feature vector
//     (HostFeatureVector: AES, SHA, AVX2, AVX-512, cache, speed...), log payload size and node
//     load, so a function learns its own hardware sensitivity and predicts classes it has not
//     run on from their features;
//   - collaborative filtering across functions, so a new function that ran on a few classes is
//     predicted on the others from how similar functions behave there (as Paragon and Quasar
//     do): (a) neighbours: the established functions whose cells on the new function's classes
//     have the same shape (up to a constant factor) vote, by similarity, on the missing cells;
//     (b) a low-rank factorization (biases plus rank-k factors, alternating least squares) of
//     the function x class matrix of cell means, used when no close neighbours exist.
// Decay (cell and regression) lets a function whose behaviour changes be relearned.
//
// A whole class that becomes slower or faster is relearned for every function at once: each
// class keeps a window of its recent runs, and when the functions that ran there agree on a
// change (ClassShift), the part of every function's cell on that class that predates the window
// moves by it, so that a function called once an hour stops being sent to a class that the busy
// functions have seen slow down. The regression learns durations with the class's shifts so far
// taken out and predicts with them put back. The shifts are saved; the window is not (after
// Restore a new one starts).
//
// Thread-safety: not thread-safe; the owner serializes access.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/byte_codec.h"
#include "common/generation.h"
#include "models/class_population.h"
#include "models/factorization.h"

namespace tailor::models {

struct DurationModelOptions {
  double cell_decay = 0.9;                // weight left to older runs of a (function, class) cell
  double regression_decay = 0.995;        // same for the per-function regression
  double prior_precision = 1.0;           // regression weight prior N(0, 1/prior_precision)
  double payload_prior_precision = 25.0;  // the same for the payload coefficient
  double noise_sd_log = 0.15;  // the least run-to-run spread of log duration assumed (each
                               // function's own spread is learned from its runs)
  double cf_lambda = 0.1;      // ridge penalty of the factorization (models/factorization.h)
  int cf_refit_every = 256;    // observations between full refits
  int cf_iterations = 10;
  int neighbours = 5;                // established functions that vote on a missing cell
  double neighbour_scale_log = 0.1;  // shape mismatch at which a neighbour's vote halves (ish),
                                     // widened by the function's own cells' noise
};

struct DurationPrediction {
  double mean_log_ms = 0;   // expected log(duration in ms)
  double var_log = 100;     // uncertainty of that expectation
  double cell_runs = 0;     // decayed number of runs behind the cell estimate
  bool known = false;       // any information about this function at all
  double ms() const;        // exp(mean_log_ms)
  double payload_term = 0;  // the payload and load contributions included in mean_log_ms
  double load_term = 0;
  // For a class the function has not run on: whether how functions in general compare it with
  // one the function ran on (the population) informed the estimate.
  bool from_population = false;
};

class DurationModel {
 public:
  explicit DurationModel(DurationModelOptions options = {});

  void Observe(const std::string& function, const std::string& host_class,
               const std::vector<double>& class_features, double payload_bytes, double load,
               double wall_ms);
  // `payload_bytes` nullopt: at the payload the function's runs are centred on (the first
  // run's), with no payload term; PayloadTerm then gives the term for any other payload.
  DurationPrediction Predict(const std::string& function, const std::string& host_class,
                             const std::vector<double>& class_features,
                             std::optional<double> payload_bytes, double load) const;
  // A fully busy node (load 1) slows a run by at most e^this (2.7x) in predictions: what
  // interference can do, not what noise can suggest.
  static constexpr double kMaxLoadSensitivity = 1.0;
  // The variance of a function's log duration on a class it never ran on about what the other
  // estimators say, at most (besides the uncertainty of its level where it did run): sd 1.2, a
  // factor of about 3.4 either way (AES-NI alone is 4x for aes-gcm), however wide the
  // regression's prior over per-feature effects makes their sum (2-4 for a class differing in
  // a few features: a class merely unknown looked 3-7x slower on average and functions stayed
  // on busy hosts of the class they knew). On the simulator's suite, narrower bounds (sd ln 2,
  // sd 1) did worse for functions without hints and noisy ones: they left the class they knew
  // for classes that turned out slower.
  static constexpr double kCrossClassVarLog = 1.5;
  // The load coefficient of a function (d log duration / d load, within [0,
  // kMaxLoadSensitivity]): its own, blended with its group's mean while it has few runs
  // (half each at kOwnLoadRuns); the group's for a function never run; 0 before any fit.
  double LoadSensitivity(const std::string& function) const;
  // The payload coefficient (d log duration / d log1p(payload KiB)), 0 if unknown.
  double PayloadSensitivity(const std::string& function) const;
  // What a payload of this size adds to the function's log duration against its centre (the
  // difference between Predict at these bytes and at nullopt); 0 if unknown.
  double PayloadTerm(const std::string& function, double payload_bytes) const;
  // Runs observed of a function (changes whenever its predictions may change).
  uint64_t Runs(const std::string& function) const;

  // What the population says about a class before a function has run anywhere
  // (ClassPopulation): its log duration there relative to the class fastest for the most
  // functions (0 on that class), and how much functions differ in that (variance). {0, 0,
  // false} before two functions ran on two classes, or for a class too few functions ran on.
  struct ClassPrior {
    double offset_log = 0;
    double var_log = 0;
    bool known = false;
  };
  // The population is the function's group (SetGroup) once that group has functions seen on
  // two classes, else the functions without hints (group ""): hardware as it is for code in
  // general. Functions with hints are left out of that fallback: what their hinted feature
  // does to them (AES-NI for crypto) would pass for what a class does to everyone.
  ClassPrior PopulationPrior(const std::string& function, const std::string& host_class) const;
  // Puts a function in a group of similar functions (those with the same manifest hints), whose
  // population prior it then uses. `load_prior`: the load coefficient the group's hints imply
  // (memory-bandwidth-bound code slows down on a busy node), taken as the group's until some of
  // its functions have kOwnLoadRuns runs; 0 falls back to every function's mean. Not saved:
  // the owner sets it again from the manifest.
  void SetGroup(const std::string& function, const std::string& group, double load_prior = 0);

  // Refits the factorization now (it also refits itself every cf_refit_every observations).
  void RefitFactorization();

  // The factorization's refit and what is fitted with it (the populations, each group's mean
  // load coefficient): the slow part of learning, a walk over every function's cells (tens of
  // milliseconds at 10,000 functions). Taken from the model with a copy of what it needs
  // (TakeDueRefit), run anywhere without the model (Run), and installed (InstallRefit), so
  // that the model's owner need not hold its lock across it.
  class Refit {
   public:
    void Run();

   private:
    friend class DurationModel;
    uint64_t generation = 0;                 // the model's when taken
    Factorization factorization;             // the model's, as the warm start; fitted by Run
    std::vector<Factorization::Cell> cells;  // in the order cells were first seen
    uint32_t functions = 0, classes = 0;
    // Group id by function id (UINT32_MAX: none), and the group of functions without hints.
    std::vector<uint32_t> group_of_function;
    uint32_t unhinted_group = UINT32_MAX;
    // By function id, its load coefficient once it has kOwnLoadRuns runs, NaN before.
    std::vector<double> own_load;
    std::vector<double> group_load_prior;  // by group id
    // Run's results.
    bool fitted = false;
    ClassPopulation population;
    std::vector<ClassPopulation> group_populations;
    std::vector<double> group_load;
  };
  // From now on Observe leaves the refits it would run to TakeDueRefit (the simulator's
  // models refit inline, where their results do not depend on how fast a thread runs).
  void DeferRefits() { defer_refits_ = true; }
  // A refit that is due and not already out, or nullopt. Taking one copies a few flat arrays
  // (every cell, and a value or two per function) that the model keeps up to date as it
  // learns, so that its owner's lock is held for a copy, not for a walk over every function.
  std::optional<Refit> TakeDueRefit();
  // Installs a refit that Run has finished. A refit taken before a Restore is dropped.
  void InstallRefit(Refit&& refit);

  // Everything learned, in binary (common/byte_codec.h: every double bit for bit); Restore
  // rebuilds the same predictions from it (derived state, such as neighbour estimates and the
  // factorization, is recomputed). False, leaving the model unchanged, for anything Save did not
  // write: a value that is not finite, a cell mean or regression weight no duration can have, a
  // weight below zero, a class id out of range or twice in a function, a regression whose
  // precision matrix is not positive definite.
  std::string Save() const;
  bool Restore(std::string_view bytes);
  // Save a few functions at a time, so that the model's owner need hold its lock only for a
  // part (StartSave, then WriteSome under the lock until it returns true, then Take with no
  // lock). Each function is written as it was at its part; the class names and shifts as they
  // were at the last part. A model at rest saves to exactly the bytes Save returns.
  class PartedSave {
   public:
    // Whether `model` is still what this save began on: no Restore, and no class-wide shift
    // since (a shift moves cells already written).
    bool Current(const DurationModel& model) const;
    // Writes the records of the next `max_functions` functions (in id order); true once every
    // function the model has is written, and with them its class names and shifts. A save
    // that is no longer Current starts again from the first function.
    bool WriteSome(const DurationModel& model, size_t max_functions);
    // What Save would have returned, its size, or appended to `out`; once WriteSome has
    // returned true.
    std::string Take() const;
    size_t size() const { return head_.bytes().size() + records_.size() + tail_.bytes().size(); }
    void AppendTo(ByteWriter& out) const;

   private:
    friend class DurationModel;
    uint64_t generation_ = 0, class_shifts_ = 0;
    uint32_t next_ = 0;  // the next function id to write
    ByteWriter head_, tail_;
    ByteParts records_;
  };
  PartedSave StartSave() const;
  size_t function_count() const { return functions_.size(); }
  // How many class-wide changes have moved cells so far (changes whenever predictions for
  // functions that did not run may have changed).
  uint64_t class_shifts() const { return class_shifts_; }
  // A class's window is checked for a change every kShiftCheckRuns runs on it, and starts
  // again after a change or kMaxShiftWindowRuns runs; a function's cell speaks for the change
  // once kMinShiftWindowRuns of the window's runs are its.
  static constexpr uint32_t kShiftCheckRuns = 64;
  static constexpr uint32_t kMaxShiftWindowRuns = 512;
  static constexpr uint32_t kMinShiftWindowRuns = 2;

 private:
  struct Cell {
    double weight = 0;
    double mean = 0;  // decayed mean of the adjusted log duration
    // Since the class's current shift window began (valid while window_epoch is its epoch):
    // the mean and weight then, the part of `weight` from before then, and the runs since.
    uint64_t window_epoch = 0;
    double window_ref_mean = 0;
    double window_ref_weight = 0;
    double window_stale_weight = 0;
    uint32_t window_runs = 0;
    uint32_t refit_slot = 0;  // its copy in refit_cells_
  };
  // A class's window of runs for ClassShift.
  struct ShiftWindow {
    uint64_t epoch = 1;
    uint32_t runs = 0;
    std::vector<uint32_t> functions;  // ids whose cell here existed before their first run
  };
  struct Estimate {
    double mean = 0;
    double var = 0;
  };
  struct FunctionState {
    uint32_t id = 0;
    std::unordered_map<uint32_t, Estimate> neighbour_estimates;  // by class id, for empty cells
    uint64_t estimates_at_runs = UINT64_MAX;                     // runs when last computed
    // The regression.
    Eigen::MatrixXd precision;   // posterior precision A
    Eigen::VectorXd b;           // A w = b
    Eigen::VectorXd w;           // posterior mean
    Eigen::MatrixXd covariance;  // A^-1
    Eigen::VectorXd prior_b;     // prior_precision x prior mean: the intercept's prior mean is
                                 // the first run's log duration, so unseen classes start there
    std::unordered_map<uint32_t, Cell> cells;  // by class id
    uint64_t runs = 0;
    // The payload feature is log1p(KiB) less this (the first run's): centred, so that the
    // payload weight and the intercept are not one level told apart by priors alone.
    double payload_centre_log = 0;
    double residual_sq = 0;             // decayed sum of squared misses of runs against their cell
    double residual_weight = 0;         // decayed count of those runs
    const std::string* name = nullptr;  // its key in functions_
  };

  FunctionState& StateOf(const std::string& function, size_t dims);
  void WriteFunction(const FunctionState& f, ByteWriter& out) const;
  uint32_t ClassId(const std::string& host_class) const;
  uint32_t ClassIdOrAdd(const std::string& host_class);
  Eigen::VectorXd PriorPrecision(size_t dims) const;
  // The function's run-to-run variance of log duration, as its runs show it.
  double NoiseVar(const FunctionState& f) const;
  static double LoadCoefficient(const FunctionState& f);
  static constexpr double kTypicalNoiseVar = 0.09;  // 0.3^2: a typical trace function
  static constexpr double kPriorNoiseRuns = 2;
  static constexpr double kNoiseDecay = 0.98;
  static constexpr double kMaxCellWindow = 30;  // runs a cell averages over, at most
  // No run lasts e^50 ms (10^14 years): a saved cell mean beyond this is damage.
  static constexpr double kMaxAbsLogMs = 50;
  static double PayloadLog(double payload_bytes);
  // payload_log: PayloadLog less the function's centre.
  static Eigen::VectorXd Features(const std::vector<double>& class_features, double payload_log,
                                  double load);
  // Refits one function's row of the factorization against the current class factors.
  void RefitFunctionRow(uint32_t function_id);
  // What a refit needs, copied (TakeDueRefit, RefitFactorization).
  Refit PrepareRefit() const;
  // Records that the function has a new cell on class `cid` (functions_by_class_,
  // cell_counts_, refit_cells_).
  void IndexCell(uint32_t function_id, uint32_t cid, Cell& cell);
  // Copies the cell's mean and weight into refit_cells_, after every change to them.
  void SyncRefitCell(uint32_t function_id, uint32_t cid, const Cell& cell);
  // Keeps own_load_ up to date after a change to f's regression or runs.
  void SyncOwnLoad(const FunctionState& f);
  // Recomputes f's neighbour estimates for the classes it has not run on.
  void UpdateNeighbourEstimates(FunctionState& f);
  // Counts a run of the function on class `cid` in the class's window, before it is added to
  // `cell` with `decay` (the cell's window state starts at its first run in the window).
  void CountInWindow(uint32_t function_id, uint32_t cid, Cell& cell, double decay);
  // Asks ClassShift whether the window's functions agree on a change, applies it, and starts
  // a new window after a change or kMaxShiftWindowRuns runs (Observe: every kShiftCheckRuns).
  void CheckClassShift(uint32_t cid);
  // Moves the part of every cell on `cid` that predates its window by `shift_log`, and every
  // neighbour estimate for `cid` wholly.
  void ApplyClassShift(uint32_t cid, double shift_log);
  // The sum of the class's shifts so far (0 for an id out of range).
  double ShiftOf(uint32_t cid) const;

  DurationModelOptions options_;
  std::unordered_map<std::string, FunctionState> functions_;
  std::vector<FunctionState*> by_id_;
  // By class id, the ids of the functions with a cell there, ascending; by function id, how
  // many cells it has. What UpdateNeighbourEstimates walks instead of every function.
  std::vector<std::vector<uint32_t>> functions_by_class_;
  std::vector<uint32_t> cell_counts_;
  // What a refit needs, kept as it changes so that TakeDueRefit is a copy (Refit has each's
  // meaning): every cell, in the order cells were first seen (Cell::refit_slot), and by
  // function id its load coefficient and its group.
  std::vector<Factorization::Cell> refit_cells_;
  std::vector<double> own_load_;
  std::vector<uint32_t> group_by_id_;
  std::unordered_map<std::string, uint32_t> class_ids_;
  uint64_t observations_ = 0;
  Factorization factorization_;
  bool defer_refits_ = false;
  bool refit_due_ = false;                 // deferred: a refit is due (TakeDueRefit)
  bool refit_in_flight_ = false;           // deferred: one has been taken and not installed
  uint64_t generation_ = NewGeneration();  // a new one at every Restore
  // Refitted with the factorization: the functions without hints (or never grouped), and each
  // group apart.
  ClassPopulation population_;
  std::vector<ClassPopulation> group_populations_;       // by group id
  std::unordered_map<std::string, uint32_t> group_ids_;  // group key -> id
  std::unordered_map<std::string, uint32_t> group_of_;   // function -> group id
  std::vector<double> group_load_prior_;                 // by group id (SetGroup)
  std::vector<double> group_load_;              // mean load coefficient by group id, last: everyone
  static constexpr uint64_t kOwnLoadRuns = 20;  // runs at which its own coefficient counts half
  const ClassPopulation& PopulationOf(const std::string& function) const;
  std::vector<ShiftWindow> shift_windows_;  // by class id
  std::vector<double> class_shift_log_;     // by class id: ShiftOf (saved)
  uint64_t class_shifts_ = 0;
};

}  // namespace tailor::models
