"""The book's layers in numpy (Deep Learning from Scratch, common/layers.py, common/util.py,
common/optimizer.py, ch05/two_layer_net.py, ch07/simple_convnet.py), as the contenders of
`npm run bench`: the 784→50→10 and 784→256→128→10 MLP steps (SGD lr 0.01) and the SimpleConvNet
step (Adam lr 0.001), in float32 or float64.

The code is the book's, with one change: the arrays the book creates with `np.zeros(shape)`
(float64 by default) in im2col, col2im and Pooling.backward take the dtype of the data, so a
float32 run stays float32 throughout (the book's own code would fall back to float64 there).
`same` variants skip the first layer's dx (input gradient), which nothing uses: the work our
library does. The book's `gradient` computes it.

Protocol (bench/numpy.ts): one command per line on stdin, one JSON line per answer on stdout.
  make <id> <net> <dtype> <book|same>   → {"ok": true}
  run <id> <steps>                       → {"ms": <total ms of the steps>}
  quit
Run alone, `python3 bench/numpy_book.py` prints the median ms per step of each contender.
"""
import json
import sys
import time
from collections import OrderedDict

import numpy as np


# ---- common/functions.py -------------------------------------------------------------------
def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


# ---- common/util.py -------------------------------------------------------------------------
def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], 'constant')
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=input_data.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)
    return col


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=col.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad:H + pad, pad:W + pad]


# ---- common/layers.py -----------------------------------------------------------------------
class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout[self.mask] = 0
        dx = dout
        return dx


class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.x = x
        out = np.dot(self.x, self.W) + self.b
        return out

    def backward(self, dout, need_dx=True):
        dx = np.dot(dout, self.W.T) if need_dx else None
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape) if need_dx else None


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:
            dx = (self.y - self.t) / batch_size
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
            dx = dx / batch_size
        return dx


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x = None
        self.col = None
        self.col_W = None
        self.dW = None
        self.db = None

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = 1 + int((H + 2 * self.pad - FH) / self.stride)
        out_w = 1 + int((W + 2 * self.pad - FW) / self.stride)
        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = np.dot(col, col_W) + self.b
        out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)
        self.x = x
        self.col = col
        self.col_W = col_W
        return out

    def backward(self, dout, need_dx=True):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout)
        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)
        if not need_dx:
            return None
        dcol = np.dot(dout, self.col_W.T)
        dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)
        return dx


class Pooling:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x = None
        self.arg_max = None

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = int(1 + (H - self.pool_h) / self.stride)
        out_w = int(1 + (W - self.pool_w) / self.stride)
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x = x
        self.arg_max = arg_max
        return out

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size), dtype=dout.dtype)
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape(dout.shape + (pool_size,))
        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        dx = col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)
        return dx


# ---- common/optimizer.py --------------------------------------------------------------------
class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key in params.keys():
            params[key] -= self.lr * grads[key]


class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.iter = 0
        self.m = None
        self.v = None

    def update(self, params, grads):
        if self.m is None:
            self.m, self.v = {}, {}
            for key, val in params.items():
                self.m[key] = np.zeros_like(val)
                self.v[key] = np.zeros_like(val)
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for key in params.keys():
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)


# ---- the nets (ch05 TwoLayerNet / common/multi_layer_net.py, ch07 SimpleConvNet) ------------
class Net:
    """Layers in order, SoftmaxWithLoss last; `gradient` as the book's nets write it."""

    def __init__(self, layers, params, first_dx):
        self.layers = layers
        self.params = params
        self.last_layer = SoftmaxWithLoss()
        self.first_dx = first_dx

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        y = self.predict(x)
        return self.last_layer.forward(y, t)

    def gradient(self, x, t):
        loss = self.loss(x, t)
        dout = self.last_layer.backward(1)
        layers = list(self.layers.values())
        layers.reverse()
        for i, layer in enumerate(layers):
            if i == len(layers) - 1 and not self.first_dx:
                layer.backward(dout, need_dx=False)
            else:
                dout = layer.backward(dout)
        grads = {}
        n = 0
        for layer in self.layers.values():
            if hasattr(layer, 'dW'):
                n += 1
                grads[f'W{n}'], grads[f'b{n}'] = layer.dW, layer.db
        return loss, grads


def mlp(sizes, dtype, first_dx, rng):
    params, layers = {}, OrderedDict()
    for i in range(1, len(sizes)):
        params[f'W{i}'] = (rng.standard_normal((sizes[i - 1], sizes[i])) * np.sqrt(2 / sizes[i - 1])).astype(dtype)
        params[f'b{i}'] = np.zeros(sizes[i], dtype)
        layers[f'Affine{i}'] = Affine(params[f'W{i}'], params[f'b{i}'])
        if i < len(sizes) - 1:
            layers[f'Relu{i}'] = Relu()
    return Net(layers, params, first_dx)


def simple_conv_net(dtype, first_dx, rng):
    p = {
        'W1': (rng.standard_normal((30, 1, 5, 5)) * np.sqrt(2 / 25)).astype(dtype), 'b1': np.zeros(30, dtype),
        'W2': (rng.standard_normal((4320, 100)) * np.sqrt(2 / 4320)).astype(dtype), 'b2': np.zeros(100, dtype),
        'W3': (rng.standard_normal((100, 10)) * np.sqrt(2 / 100)).astype(dtype), 'b3': np.zeros(10, dtype),
    }
    layers = OrderedDict()
    layers['Conv1'] = Convolution(p['W1'], p['b1'], 1, 0)
    layers['Relu1'] = Relu()
    layers['Pool1'] = Pooling(2, 2, 2)
    layers['Affine1'] = Affine(p['W2'], p['b2'])
    layers['Relu2'] = Relu()
    layers['Affine2'] = Affine(p['W3'], p['b3'])
    return Net(layers, p, first_dx)


NETS = {
    '784-50-10': (lambda dt, fdx, rng: mlp([784, 50, 10], dt, fdx, rng), (100, 784), 10, lambda: SGD(0.01)),
    '784-256-128-10': (lambda dt, fdx, rng: mlp([784, 256, 128, 10], dt, fdx, rng), (128, 784), 10, lambda: SGD(0.01)),
    'cnn': (simple_conv_net, (100, 1, 28, 28), 10, lambda: Adam(0.001)),
}


def make(net, dtype, work):
    build, xshape, classes, opt = NETS[net]
    dt = {'f32': np.float32, 'f64': np.float64}[dtype]
    rng = np.random.default_rng(1)
    x = rng.random(xshape).astype(dt)
    t = rng.integers(0, classes, xshape[0])
    model = build(dt, work == 'book', rng)
    optimizer = opt()

    def step():
        loss, grads = model.gradient(x, t)
        optimizer.update(model.params, grads)
        return loss

    for _ in range(3):
        step()
    for k, v in model.params.items():
        assert v.dtype == dt, (k, v.dtype)
    return step


def serve():
    steps = {}
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == 'make':
            steps[cmd[1]] = make(cmd[2], cmd[3], cmd[4])
            reply = {'ok': True, 'numpy': np.__version__}
        elif cmd[0] == 'run':
            step, n = steps[cmd[1]], int(cmd[2])
            start = time.perf_counter()
            for _ in range(n):
                step()
            reply = {'ms': (time.perf_counter() - start) * 1000}
        elif cmd[0] == 'quit':
            break
        else:
            reply = {'error': f'unknown command {cmd[0]}'}
        sys.stdout.write(json.dumps(reply) + '\n')
        sys.stdout.flush()


def main():
    for net in NETS:
        for dtype in ('f32', 'f64'):
            for work in ('book', 'same'):
                step = make(net, dtype, work)
                n = 20 if net == 'cnn' else 400
                times = []
                for _ in range(n):
                    start = time.perf_counter()
                    step()
                    times.append((time.perf_counter() - start) * 1000)
                times.sort()
                print(f'{net:16} {dtype} {work}: {times[len(times) // 2]:.3f} ms')


if __name__ == '__main__':
    if '--serve' in sys.argv:
        serve()
    else:
        main()
