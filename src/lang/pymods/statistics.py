# statistics for lessons: the common functions, written for lessonrun's interpreter (built
# inside _make: see heapq.py). Sums are math.fsum's correctly rounded ones, as CPython's
# exact sums round.
def _make():
    import math

    class StatisticsError(ValueError):
        pass

    def _data(data, need, what):
        data = list(data)
        if len(data) < need:
            if need == 1:
                raise StatisticsError(what + ' requires at least one data point')
            raise StatisticsError(what + ' requires at least two data points')
        return data

    def _exact(data):
        # Each value as an integer over one common power-of-two denominator, so sums are exact
        # as CPython's Fraction sums are.
        ratios = [(x, 1) if isinstance(x, int) else x.as_integer_ratio() for x in data]
        den = 1
        for _, d in ratios:
            if d > den:
                den = d
        return [n * (den // d) for n, d in ratios], den

    def _result(num, den, data):
        # CPython converts an exact result back to the data's type: ints stay ints when exact.
        if all(isinstance(x, int) for x in data) and num % den == 0:
            return num // den
        return num / den

    def mean(data):
        data = _data(data, 1, 'mean')
        nums, den = _exact(data)
        return _result(sum(nums), den * len(data), data)

    def fmean(data):
        data = _data(data, 1, 'fmean')
        return math.fsum(data) / len(data)

    def _ss(data):
        # Sum of squared deviations as the fraction num / den.
        nums, den = _exact(data)
        n = len(data)
        s = sum(nums)
        return sum((n * x - s) ** 2 for x in nums), n * n * den * den

    def _sqrt_frac(n, m):
        # The correctly rounded square root of n / m, as CPython 3.11 computes it.
        q = (n.bit_length() - m.bit_length() - 109) // 2
        if q >= 0:
            a = math.isqrt(n // (m << 2 * q))
            a = a | (a * a * (m << 2 * q) != n)
            return (a << q) / 1
        a = math.isqrt((n << -2 * q) // m)
        a = a | (a * a * m != (n << -2 * q))
        return a / (1 << -q)

    def median(data):
        data = sorted(data)
        n = len(data)
        if n == 0:
            raise StatisticsError('no median for empty data')
        if n % 2 == 1:
            return data[n // 2]
        i = n // 2
        return (data[i - 1] + data[i]) / 2

    def median_low(data):
        data = sorted(data)
        if not data:
            raise StatisticsError('no median for empty data')
        return data[(len(data) - 1) // 2]

    def median_high(data):
        data = sorted(data)
        if not data:
            raise StatisticsError('no median for empty data')
        return data[len(data) // 2]

    def mode(data):
        data = list(data)
        if not data:
            raise StatisticsError('no mode for empty data')
        counts = {}
        for x in data:
            counts[x] = counts.get(x, 0) + 1
        best = max(counts.values())
        for x in counts:
            if counts[x] == best:
                return x

    def multimode(data):
        counts = {}
        for x in data:
            counts[x] = counts.get(x, 0) + 1
        if not counts:
            return []
        best = max(counts.values())
        return [x for x in counts if counts[x] == best]

    def variance(data, xbar=None):
        data = _data(data, 2, 'variance')
        num, den = _ss(data)
        return _result(num, den * (len(data) - 1), data)

    def pvariance(data, mu=None):
        data = _data(data, 1, 'pvariance')
        num, den = _ss(data)
        return _result(num, den * len(data), data)

    def stdev(data, xbar=None):
        data = _data(data, 2, 'stdev')
        num, den = _ss(data)
        return _sqrt_frac(num, den * (len(data) - 1))

    def pstdev(data, mu=None):
        data = _data(data, 1, 'pstdev')
        num, den = _ss(data)
        return _sqrt_frac(num, den * len(data))

    return {'StatisticsError': StatisticsError, 'mean': mean, 'fmean': fmean, 'median': median,
            'median_low': median_low, 'median_high': median_high, 'mode': mode,
            'multimode': multimode, 'variance': variance, 'pvariance': pvariance,
            'stdev': stdev, 'pstdev': pstdev}
