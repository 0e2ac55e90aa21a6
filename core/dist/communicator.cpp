#include "core/dist/communicator.h"

#include <torch/torch.h>

#include <algorithm>

namespace yolodeck::dist {

namespace {

class SingleProcess final : public Communicator
{
public:
    int rank() const override { return 0; }
    int worldSize() const override { return 1; }
    QString launcher() const override { return QStringLiteral("single"); }
    void allreduceSum(std::vector<torch::Tensor> &) override {}
    void broadcast(std::vector<torch::Tensor> &, int) override {}
    std::vector<torch::Tensor> allgather(const torch::Tensor &mine) override { return {mine}; }
};

} // namespace

std::unique_ptr<Communicator> makeSingleProcess()
{
    return std::make_unique<SingleProcess>();
}

double Communicator::takeCommSeconds()
{
    const double s = m_commSeconds;
    m_commSeconds = 0;
    return s;
}

QByteArray Communicator::broadcastBytes(const QByteArray &bytes)
{
    if (!isDistributed())
        return bytes;
    std::vector<torch::Tensor> size{torch::full({1}, int64_t(bytes.size()), torch::kInt64)};
    broadcast(size);
    const int64_t n = size[0].item<int64_t>();
    std::vector<torch::Tensor> data{torch::zeros({n}, torch::kUInt8)};
    if (isLead())
        std::copy(bytes.begin(), bytes.end(), data[0].data_ptr<uint8_t>());
    broadcast(data);
    return QByteArray(reinterpret_cast<const char *>(data[0].data_ptr<uint8_t>()), int(n));
}

std::vector<QByteArray> Communicator::gatherBytes(const QByteArray &mine)
{
    if (!isDistributed())
        return {mine};
    const std::vector<torch::Tensor> sizes =
        allgather(torch::full({1}, int64_t(mine.size()), torch::kInt64));
    int64_t longest = 0;
    for (const torch::Tensor &s : sizes)
        longest = std::max(longest, s.item<int64_t>());
    torch::Tensor padded = torch::zeros({std::max<int64_t>(longest, 1)}, torch::kUInt8);
    std::copy(mine.begin(), mine.end(), padded.data_ptr<uint8_t>());
    const std::vector<torch::Tensor> all = allgather(padded);
    std::vector<QByteArray> out;
    if (!isLead())
        return out;
    for (size_t r = 0; r < all.size(); ++r)
        out.emplace_back(reinterpret_cast<const char *>(all[r].data_ptr<uint8_t>()),
                         int(sizes[r].item<int64_t>()));
    return out;
}

} // namespace yolodeck::dist
