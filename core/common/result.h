#pragma once

#include <QString>

#include <optional>
#include <utility>

namespace yolodeck {

// The outcome of an operation that can fail for reasons a user can act on (a bad file, an
// incompatible checkpoint, a wrong config key): either a value or a message naming the problem.
// Expected failures travel as values; exceptions are kept for programming errors.
template <typename T> class Result
{
public:
    static Result ok(T value)
    {
        Result r;
        r.m_value.emplace(std::move(value));
        return r;
    }
    static Result fail(QString message)
    {
        Result r;
        r.m_error = std::move(message);
        return r;
    }

    bool isOk() const { return m_value.has_value(); }
    explicit operator bool() const { return isOk(); }
    const T &value() const { return *m_value; }
    T &value() { return *m_value; }
    T take() { return std::move(*m_value); }
    const QString &error() const { return m_error; }

private:
    Result() = default;
    std::optional<T> m_value;
    QString m_error;
};

// For operations that return nothing but can fail.
struct Done
{};
using Status = Result<Done>;
inline Status okStatus()
{
    return Status::ok(Done{});
}

} // namespace yolodeck
