#pragma once

#include <QByteArray>
#include <QString>

#include <torch/types.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace yolodeck::dist {

// What a collective throws when a peer has gone (exited, crashed, or silent past the timeout),
// as opposed to an error of this process's own.
class PeerLost : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// What the trainer needs from a data-parallel job (DESIGN.md §9), and nothing more: which rank
// this process is, collectives over tensors, and a way to name a rank that failed. A one-process
// run uses the trivial implementation, so the training loop has a single code path.
//
// Every collective must be called by every rank in the same order. Tensors may live on the CPU or
// a CUDA device (staged through host memory for Gloo). A failure of a peer (exit, hang past the
// timeout) comes back as an exception from the collective that noticed it.
class Communicator
{
public:
    virtual ~Communicator() = default;

    virtual int rank() const = 0;
    virtual int worldSize() const = 0;
    virtual int localRank() const { return rank(); }
    virtual int localWorldSize() const { return worldSize(); }
    bool isLead() const { return rank() == 0; }
    bool isDistributed() const { return worldSize() > 1; }
    // How the ranks met: "single", "nproc", "torchrun, agent store", "torchrun, store on rank 0",
    // "slurm", "environment".
    virtual QString launcher() const = 0;

    // Sums every tensor over the ranks, in place. Tensors are packed into buckets of up to
    // kBucketBytes of one dtype, each bucket flattened and all-reduced as one buffer.
    virtual void allreduceSum(std::vector<torch::Tensor> &tensors) = 0;
    // Copies `root`'s values into every rank's tensors (same shapes on every rank).
    virtual void broadcast(std::vector<torch::Tensor> &tensors, int root = 0) = 0;
    // Every rank's `mine`, in rank order (same size on every rank).
    virtual std::vector<torch::Tensor> allgather(const torch::Tensor &mine) = 0;

    // Byte strings of any size: rank 0's bytes on every rank; every rank's bytes on rank 0 (the
    // other ranks get an empty list).
    QByteArray broadcastBytes(const QByteArray &bytes);
    std::vector<QByteArray> gatherBytes(const QByteArray &mine);

    // Seconds spent inside collectives since the last call (the all-reduce share of a step).
    double takeCommSeconds();

    // Best effort, after an exception: tells the other ranks why this one stops, and turns what
    // a collective threw into a sentence that names the rank at fault when it can be known.
    virtual void announceFailure(const QString &) {}
    virtual QString explainFailure(const QString &what) { return what; }
    // Closes the connections at once, so that peers blocked in a collective fail now instead of
    // waiting for the timeout (rank 0 of a window run that failed, for example).
    virtual void abort() {}

    static constexpr int64_t kBucketBytes = 25 << 20; // as torch's DistributedDataParallel

protected:
    double m_commSeconds = 0;
};

// The one-process job: rank 0 of 1, every collective returns at once.
std::unique_ptr<Communicator> makeSingleProcess();

} // namespace yolodeck::dist
