"""The book's SimpleConvNet training step (batch 100, forward + backward + Adam) in numpy, float32,
one thread: the baseline of the chapter-7 speed target. The formulas are the book's (im2col as
a loop over the filter's positions with strided slices, conv = col · Wᵀ, max pooling as the
max and argmax over the rows of the pooling col, col2im, Adam as its common/optimizer.py);
written here from them, in float32 throughout.

Run: OPENBLAS_NUM_THREADS=1 python3 bench/numpy_conv.py  → bench/results/numpy_conv.json
"""
import json, os, sys, time
import numpy as np

F32 = np.float32

def im2col(x, fh, fw, stride=1, pad=0):
    n, c, h, w = x.shape
    oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    col = np.zeros((n, c, fh, fw, oh, ow), dtype=x.dtype)
    for i in range(fh):
        for j in range(fw):
            col[:, :, i, j] = img[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, -1)

def col2im(col, shape, fh, fw, stride=1, pad=0):
    n, c, h, w = shape
    oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1
    col = col.reshape(n, oh, ow, c, fh, fw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((n, c, h + 2 * pad + stride - 1, w + 2 * pad + stride - 1), dtype=col.dtype)
    for i in range(fh):
        for j in range(fw):
            img[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += col[:, :, i, j]
    return img[:, :, pad:h + pad, pad:w + pad]

class Net:
    def __init__(self, rng):
        self.p = {
            'W1': (rng.standard_normal((30, 1, 5, 5)) * np.sqrt(2 / 25)).astype(F32), 'b1': np.zeros(30, F32),
            'W2': (rng.standard_normal((4320, 100)) * np.sqrt(2 / 4320)).astype(F32), 'b2': np.zeros(100, F32),
            'W3': (rng.standard_normal((100, 10)) * np.sqrt(2 / 100)).astype(F32), 'b3': np.zeros(10, F32),
        }
        self.m = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.v = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.iter = 0

    def step(self, x, t, lr=F32(0.001), b1=F32(0.9), b2=F32(0.999)):
        p = self.p
        n = x.shape[0]
        # Convolution
        col = im2col(x, 5, 5)
        z1 = (col @ p['W1'].reshape(30, -1).T + p['b1']).reshape(n, 24, 24, 30).transpose(0, 3, 1, 2)
        r1 = np.maximum(z1, 0)
        # Pooling 2×2 stride 2
        pcol = im2col(r1, 2, 2, 2).reshape(-1, 4)
        arg = np.argmax(pcol, axis=1)
        pooled = np.max(pcol, axis=1).reshape(n, 12, 12, 30).transpose(0, 3, 1, 2)
        flat = pooled.reshape(n, -1)
        z2 = flat @ p['W2'] + p['b2']
        r2 = np.maximum(z2, 0)
        z3 = r2 @ p['W3'] + p['b3']
        e = np.exp(z3 - z3.max(axis=1, keepdims=True))
        y = e / e.sum(axis=1, keepdims=True)
        loss = -np.log(y[np.arange(n), t] + F32(1e-7)).mean()
        # backward
        d3 = y.copy(); d3[np.arange(n), t] -= 1; d3 /= F32(n)
        g = {'W3': r2.T @ d3, 'b3': d3.sum(axis=0)}
        d2 = (d3 @ p['W3'].T) * (z2 > 0)
        g['W2'], g['b2'] = flat.T @ d2, d2.sum(axis=0)
        dp = (d2 @ p['W2'].T).reshape(pooled.shape).transpose(0, 2, 3, 1)
        dmax = np.zeros((dp.size, 4), F32)
        dmax[np.arange(arg.size), arg.flatten()] = dp.flatten()
        dr1 = col2im(dmax.reshape(dp.shape + (4,)).reshape(dp.shape[0] * dp.shape[1] * dp.shape[2], -1), r1.shape, 2, 2, 2)
        dz1 = (dr1 * (z1 > 0)).transpose(0, 2, 3, 1).reshape(-1, 30)
        g['b1'] = dz1.sum(axis=0)
        g['W1'] = (col.T @ dz1).T.reshape(30, 1, 5, 5)
        # (the first layer's dx = col2im(dz1 · W1) is not needed)
        # Adam
        self.iter += 1
        lr_t = F32(lr * np.sqrt(1 - b2 ** self.iter) / (1 - b1 ** self.iter))
        for k in p:
            self.m[k] += (1 - b1) * (g[k] - self.m[k])
            self.v[k] += (1 - b2) * (g[k] ** 2 - self.v[k])
            p[k] -= lr_t * self.m[k] / (np.sqrt(self.v[k]) + F32(1e-7))
        return loss

def main():
    rng = np.random.default_rng(1)
    x = rng.random((100, 1, 28, 28), dtype=F32)
    t = rng.integers(0, 10, 100)
    net = Net(rng)
    for _ in range(5):
        net.step(x, t)
    times = []
    for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 40):
        start = time.perf_counter()
        net.step(x, t)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    dtypes = {k: str(v.dtype) for k, v in net.p.items()}
    assert set(dtypes.values()) == {'float32'}, dtypes
    out = {'median_ms': times[len(times) // 2], 'min_ms': times[0], 'steps': len(times), 'numpy': np.__version__,
           'threads': os.environ.get('OPENBLAS_NUM_THREADS'), 'date': time.strftime('%Y-%m-%d'), 'load_average': os.getloadavg()[0]}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results', 'numpy_conv.json')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(out, f, indent=2)
    print(json.dumps(out))

if __name__ == '__main__':
    main()
