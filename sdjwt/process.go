package sdjwt

// maxDepth bounds the nesting of objects and arrays that the digest
// processing walks, so that a hostile token cannot exhaust the stack.
const maxDepth = 64

// processor replaces the embedded digests of an issuer-signed payload with
// the disclosed claims, following RFC 9901 section 7.1 step 3: every digest
// may appear once, every disclosure must be referenced once, claim names may
// not clash and each disclosure must fit its place (three elements in an
// _sd array, two in an array element).
type processor struct {
	disclosures []*Disclosure
	byDigest    map[string]int
	seen        map[string]bool // every embedded digest met so far
	used        []bool
	paths       [][]any // claim path of each disclosure, once found
}

func newProcessor(ds []*Disclosure) (*processor, error) {
	p := &processor{
		disclosures: ds,
		byDigest:    make(map[string]int, len(ds)),
		seen:        make(map[string]bool),
		used:        make([]bool, len(ds)),
		paths:       make([][]any, len(ds)),
	}
	for i, d := range ds {
		h := d.Digest()
		if _, dup := p.byDigest[h]; dup {
			return nil, fail(ErrDisclosure, "disclosure %d is sent twice (digest %s)", i+1, h)
		}
		p.byDigest[h] = i
	}
	return p, nil
}

// top processes the payload and then requires every disclosure to have been
// referenced. It removes _sd_alg, which only the top level may carry.
func (p *processor) top(payload map[string]any) (map[string]any, error) {
	out, err := p.object(payload, nil, 0)
	if err != nil {
		return nil, err
	}
	delete(out, "_sd_alg")
	for i, u := range p.used {
		if !u {
			return nil, fail(ErrDisclosure, "disclosure %d (digest %s) is not referenced by the issuer-signed jwt", i+1, p.disclosures[i].Digest())
		}
	}
	return out, nil
}

func (p *processor) value(v any, path []any, depth int) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		return p.object(x, path, depth+1)
	case []any:
		return p.array(x, path, depth+1)
	}
	return v, nil
}

func (p *processor) claim(digest string) (int, bool, error) {
	if p.seen[digest] {
		return 0, false, fail(ErrDisclosure, "digest %s appears more than once", digest)
	}
	p.seen[digest] = true
	i, ok := p.byDigest[digest]
	return i, ok, nil
}

func (p *processor) object(obj map[string]any, path []any, depth int) (map[string]any, error) {
	if depth > maxDepth {
		return nil, malformed("claims nested deeper than %d levels", maxDepth)
	}
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if k == "_sd" {
			continue
		}
		pv, err := p.value(v, append(path[:len(path):len(path)], k), depth)
		if err != nil {
			return nil, err
		}
		out[k] = pv
	}
	sd, ok := obj["_sd"]
	if !ok {
		return out, nil
	}
	list, ok := sd.([]any)
	if !ok {
		return nil, malformed("_sd at %q is not an array", joinPath(path))
	}
	for _, e := range list {
		h, ok := e.(string)
		if !ok {
			return nil, malformed("_sd at %q holds a non-string digest", joinPath(path))
		}
		i, found, err := p.claim(h)
		if err != nil {
			return nil, err
		}
		if !found {
			continue // a decoy or an undisclosed claim
		}
		d := p.disclosures[i]
		if d.Element {
			return nil, fail(ErrDisclosure, "array element disclosure (digest %s) referenced from an _sd array", h)
		}
		if d.Name == "_sd" || d.Name == "..." {
			return nil, fail(ErrDisclosure, "disclosure (digest %s) names the reserved claim %q", h, d.Name)
		}
		if _, clash := out[d.Name]; clash {
			return nil, fail(ErrDisclosure, "disclosed claim %q already exists at %q", d.Name, joinPath(path))
		}
		cp := append(path[:len(path):len(path)], d.Name)
		p.used[i], p.paths[i] = true, cp
		pv, err := p.value(d.Value, cp, depth)
		if err != nil {
			return nil, err
		}
		out[d.Name] = pv
	}
	return out, nil
}

func (p *processor) array(arr []any, path []any, depth int) ([]any, error) {
	if depth > maxDepth {
		return nil, malformed("claims nested deeper than %d levels", maxDepth)
	}
	out := make([]any, 0, len(arr))
	for idx, e := range arr {
		ep := append(path[:len(path):len(path)], idx)
		if h, ok := elementDigest(e); ok {
			i, found, err := p.claim(h)
			if err != nil {
				return nil, err
			}
			if !found {
				continue // decoy or undisclosed element: removed
			}
			d := p.disclosures[i]
			if !d.Element {
				return nil, fail(ErrDisclosure, "object property disclosure (digest %s) referenced from an array element", h)
			}
			p.used[i], p.paths[i] = true, ep
			e = d.Value
		}
		pv, err := p.value(e, ep, depth)
		if err != nil {
			return nil, err
		}
		out = append(out, pv)
	}
	return out, nil
}

// elementDigest recognizes the array element {"...": "<digest>"}.
func elementDigest(e any) (string, bool) {
	m, ok := e.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	h, ok := m["..."].(string)
	return h, ok
}
