// KubeExtender: Tailor as a Kubernetes scheduler extender (kube-scheduler's `extenders` in a
// KubeSchedulerConfiguration; deploy/kubernetes, docs/kubernetes.md). kube-scheduler posts
// ExtenderArgs (kube_pod.h) to two verbs, served by WebhookServer:
//
//   filter      -> ExtenderFilterResult{Nodes, NodeNames, FailedNodes,
//                  FailedAndUnresolvableNodes, Error}: the candidates Tailor has no objection
//                  to. A node Tailor knows and rules out (it lacks a required CPU feature, is
//                  smaller than the pod's requests, is unhealthy, draining, or full of Tailor's
//                  own reservations) fails with the reason; one no wait can cure (lacks a
//                  feature, too small) fails as unresolvable, so preemption skips it.
//   prioritize  -> HostPriorityList [{Host, Score}], scores 0..10: Tailor's ranking (what
//                  Placer::JudgeKubernetesNodes scores as Rank does) scaled so that the best node
//                  gets 10 and a node the policy expects twice as slow about 5.
//
// Nodes are Kubernetes node names: a Tailor node is the one whose agent runs with
// --kubernetes-node <name> (the DaemonSet passes spec.nodeName), else the one registered under
// that name. Pods that are not functions pass through untouched
// (all nodes pass; every score 0). Nodes Tailor does not know are neither failed nor favoured:
// they pass the filter and score the mean of the known nodes' scores (rounded down). A filter
// that cannot answer (a body that is not ExtenderArgs, an unknown function) says so in Error
// with HTTP 200, as kube-scheduler expects; prioritize, which has no Error field, answers 400
// for a bad body and scores every node 0 for an unknown function. Nothing is reserved and no
// decision is recorded: kube-scheduler binds the pod itself, and the platform reports its runs
// (Report) for Tailor to learn.
//
// Thread-safety: safe to call concurrently (the Placer is).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler/kube_pod.h"
#include "scheduler/placer.h"

namespace tailor::scheduler {

class KubeExtender {
 public:
  struct Options {
    std::string policy;  // empty: the scheduler's default
  };
  KubeExtender(Placer& placer, Options options) : placer_(placer), options_(std::move(options)) {}

  struct Answer {
    int http_status = 200;
    std::string body;  // JSON
  };
  Answer Filter(std::string_view body);
  Answer Prioritize(std::string_view body);

 private:
  // Each named node's verdict for the pod; `scored`: ranked by the policy too (prioritize),
  // otherwise only judged eligible or not (filter).
  Result<std::vector<NodeVerdict>> VerdictsFor(const ExtenderArgs& args, bool scored);

  Placer& placer_;
  const Options options_;
};

inline constexpr int64_t kMaxExtenderScore = 10;  // extenderv1.MaxExtenderPriority

// Scores 0..kMaxExtenderScore for eligible nodes' policy scores (lower is better), in the same
// order: the best gets the maximum; when every score is positive, score x gets
// max * best / x (twice as slow: half the points), else they spread linearly between best and
// worst. Infinite or NaN scores get 0.
std::vector<int64_t> ExtenderScores(const std::vector<double>& policy_scores);

}  // namespace tailor::scheduler
