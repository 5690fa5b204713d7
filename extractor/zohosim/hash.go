package zohosim

// mix is the splitmix64 finaliser: a fast, well-spread bijection on uint64 that turns
// (seed, module, index, field) keys into the pseudo-random numbers every value is drawn
// from. Nothing here needs to be cryptographic, only deterministic.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// golden is the 64-bit golden ratio, used to spread small keys before mixing.
const golden = 0x9e3779b97f4a7c15

// key2 mixes two values into one hash.
func key2(a, b uint64) uint64 {
	return mix(a ^ mix(b+golden))
}

// pick returns an index in [0, n) drawn from h.
func pick(h uint64, n int) int {
	return int((h >> 11) % uint64(n))
}

// gcd returns the greatest common divisor of a and b.
func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// spread is a bijection on [0, n): i -> (a*i + b) mod n with a coprime to n. It chooses
// which records of a module carry a value for a sparse field, so that exactly k of n do
// (those with spread(i) < k) while the chosen records look scattered.
type spread struct {
	a, b, n int
}

// newSpread builds a spread over [0, n) from h.
func newSpread(h uint64, n int) spread {
	if n <= 1 {
		return spread{a: 1, n: max(n, 1)}
	}
	a := 1 + pick(h, n-1)
	for gcd(a, n) != 1 {
		a = a%(n-1) + 1
	}
	return spread{a: a, b: pick(mix(h), n), n: n}
}

// at returns the image of i.
func (s spread) at(i int) int {
	return int((uint64(s.a)*uint64(i) + uint64(s.b)) % uint64(s.n))
}
