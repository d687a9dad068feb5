/**
 * Every word the tour shows, one table per language: the page's labels, each figure's title and
 * explanation, the notes with their numbers, the input names of the graphs and the sentences of
 * each op's local step. `Texts` is the shape both tables must have, so tsc names anything missing.
 * The Korean uses the book's Korean terms: 순전파, 역전파, 계산 그래프, 국소적 계산, 연쇄법칙,
 * 덧셈 노드, 곱셈 노드, 기울기.
 */
import type { ShoppingNames } from '../../ts/index.js';
import { OP_INFO } from '../../ts/graph/op_info.js';
import type { OpTexts } from '../../ts/render/index.js';
import { cell, type FigureId, type Nudged, type TourData } from './tour_common.js';

export type Lang = 'en' | 'ko';
export const LANGS: readonly Lang[] = ['en', 'ko'];

const n = cell;

export interface Texts {
  /** The page's <html lang>. */
  htmlLang: string;
  title: string;
  lead: string;
  ui: {
    figure: string;
    back: string;
    next: string;
    restart: string;
    language: string;
    loadingGraphviz: string;
    drawing: string;
    start: string;
    phase: (phase: 'forward' | 'backward' | 'note', index: number, of: number) => string;
    nudge: string;
    nudgeHelp: string;
    nudged: (r: Nudged) => string;
    digit: string;
  };
  names: Required<ShoppingNames>;
  /** Per figure: its name in the menu, its heading and what the notes say about it. */
  figures: Record<FigureId, { short: string; title: string; intro: string }>;
  notes: {
    sigmoid(v: { dx: number; y: number; formula: number; layerY: number; layerDx: number }): string;
    softmax(v: { loss: number; layerLoss: number }): string;
    softmaxHead: string[];
    scores(v: { predicted: number; probability: number; label: number; loss: number }): string;
    scoresHead: string[];
    netGrads(grads: { key: string; shape: readonly number[]; norm: number }[]): string;
    tensorHead: string[];
    training(d: TourData): string;
  };
  ops: OpTexts;
}

const shape = (s: readonly number[]) => `(${s.join(', ')})`;

export const EN: Texts = {
  htmlLang: 'en',
  title: 'Backpropagation, figure by figure',
  lead: 'The computational graphs of chapter 5 of Deep Learning from Scratch, one local computation at a time. Forward values are black, above each edge; the gradients coming back are red, below it. Keys: → next, ← back, Home and End: first and last step.',
  ui: {
    figure: 'Figure',
    back: '◀ Back',
    next: 'Step ▶',
    restart: 'Restart',
    language: 'Language',
    loadingGraphviz: 'Loading Graphviz… the steps below work already; the drawing follows.',
    drawing: 'Drawing…',
    start: 'Nothing computed yet: only the inputs have values. Step ▶ runs the first node.',
    phase: (phase, i, of) => `${phase === 'note' ? 'conclusion' : phase} ${i}/${of}`,
    nudge: 'Nudge an input',
    nudgeHelp: 'Change one input and run forward again: the output moves by about gradient × change.',
    nudged: (r) =>
      `${r.input}: ${n(r.from)} → ${n(r.to)}; ${r.output}: ${n(r.before)} → ${n(r.after)}, a change of ${n(r.after - r.before)}. Backward said ∂${r.output}/∂${r.input} = ${n(r.gradient)}, and ${n(r.gradient)} × ${n(r.to - r.from)} = ${n(r.gradient * (r.to - r.from))}.`,
    digit: 'The digit',
  },
  names: { apple: 'apple', appleNum: 'apple num', orange: 'orange', orangeNum: 'orange num', tax: 'tax', price: 'price' },
  figures: {
    apple: {
      short: 'Apples',
      title: 'Buying apples: a computational graph',
      intro:
        'Two apples at 100 each, with 10 % tax. The graph shows the computation as nodes and edges. Each node does a local computation, using only the numbers on its own edges (100 and 2 give 200), and keeps its intermediate result. Backward, the 2.2 that reaches the apple’s price is its influence on the total: the derivative, found with nothing but multiplications.',
    },
    'chain-rule': {
      short: 'The chain rule',
      title: 'The chain rule: z = (x + y)²',
      intro:
        'z = t² with t = x + y, as an add node and a "**2" node. The chain rule says ∂z/∂x = ∂z/∂t · ∂t/∂x = 2t · 1. Backward, each node multiplies the gradient that arrives by its local derivative (grey, beside the node) and passes it on.',
    },
    add: {
      short: 'The add node',
      title: 'The add node’s backward',
      intro:
        'z = x + y, here 10 + 5 = 15, somewhere inside a larger graph whose final output L sends back ∂L/∂z = 1.3. Backward, the add node passes that gradient on unchanged to both inputs, because ∂z/∂x = ∂z/∂y = 1.',
    },
    mul: {
      short: 'The mul node',
      title: 'The mul node’s backward',
      intro:
        'z = x · y, here 10 × 5 = 50, with ∂L/∂z = 1.3 arriving from upstream. Backward, each input gets the upstream gradient times the other input — x and y swap: x gets 1.3 × 5 = 6.5 and y gets 1.3 × 10 = 13.',
    },
    shopping: {
      short: 'Apples and oranges',
      title: 'Apples and oranges: 715, and what 110, 2.2, 3.3, 165 and 650 mean',
      intro:
        '2 apples at 100 and 3 oranges at 150, with 10 % tax: 715. One backward pass gives every input’s gradient: 110 (apple num), 2.2 (apple), 3.3 (orange), 165 (orange num), 650 (tax). Each is the influence of a unit change: 3 apples instead of 2 make 715 into 825, +110; an apple at 101 makes 717.2, +2.2. Try it with the nudge below.',
    },
    relu: {
      short: 'ReLU',
      title: 'The ReLU node',
      intro:
        'y = x where x > 0, else 0. Forward, an input above 0 passes as it is and one at or below 0 becomes 0. Backward, the gradient passes where the input was above 0 and is 0 elsewhere (the layer remembers where, as its mask). The book’s x = [[1, −0.5], [−2, 3]].',
    },
    sigmoid: {
      short: 'Sigmoid',
      title: 'Sigmoid from ×(−1), exp, +1 and /',
      intro:
        'y = 1 / (1 + exp(−x)) drawn as its own graph of elementary nodes, x = 1. Forward, then backward node by node, each multiplying by its local derivative; then the simplification: the whole backward is ∂L/∂y · y(1 − y), so the Sigmoid layer keeps only y.',
    },
    affine: {
      short: 'Affine',
      title: 'Affine on a batch: the shapes of the gradients',
      intro:
        'Y = X·W + B for a batch of N = 2 rows: X (2, 2), W (2, 3), B (3). The edges show shapes, as the book draws them. Backward: dX = dY·Wᵀ (2, 2), dW = Xᵀ·dY (2, 3), and dB = Σ dY, the sum of dY over the batch (3). Each gradient has its variable’s shape. The numbers are in the table.',
    },
    'softmax-with-loss': {
      short: 'Softmax-with-Loss',
      title: 'Softmax-with-Loss from elementary nodes: backward reaches y − t',
      intro:
        'Scores (a1, a2, a3) = (0.3, 2.9, 4.0) and the target t = (0, 0, 1). Softmax is exp, a sum, / and ×; the cross-entropy error is log, × t, a sum and ×(−1). Forward gives the probabilities y and the loss L; backward, 18 local steps, arrives at the scores as the clean y − t, which the SoftmaxWithLoss layer computes directly.',
    },
    'two-layer-net': {
      short: 'A “2” through TwoLayerNet',
      title: 'A real “2” through TwoLayerNet',
      intro:
        'A handwritten 2 from the embedded MNIST digits through Affine → ReLU → Affine → Softmax-with-Loss (the book’s TwoLayerNet; the notes’ example has three Affine layers). The scores are used for inference: the largest wins. The probabilities are used for learning: backward gives every weight its gradient, which would raise the probability of 2.',
    },
  },
  notes: {
    sigmoid: (v) =>
      `Simplified: the graph’s backward is ∂L/∂y · y² · exp(−x) = ∂L/∂y · y(1 − y). The graph gave dx = ${v.dx}; y(1 − y) = ${n(v.y)} × ${n(1 - v.y)} = ${v.formula}; the Sigmoid layer (float32) gives y = ${v.layerY} and dx = ${v.layerDx}. One node does it all, remembering only y.`,
    softmax: (v) =>
      `Backward reached the scores as y − t: the graph’s gradients equal y − t, and the SoftmaxWithLoss layer (float32) gives the same. The loss: graph ${n(v.loss)}, layer ${n(v.layerLoss)}.`,
    softmaxHead: ['', 'a', 'y', 't', 'graph ∂L/∂a', 'y − t', 'layer dx'],
    scores: (v) =>
      `The scores of the last Affine and their probabilities (softmax). The net says ${v.predicted} with probability ${n(v.probability)}; the label is ${v.label}; the loss is ${n(v.loss)}.`,
    scoresHead: ['digit', 'score', 'probability'],
    netGrads: (g) =>
      `Backward gave every parameter its gradient, each of its parameter’s shape: ${g.map((p) => `d${p.key} ${shape(p.shape)} ‖·‖ ${n(p.norm)}`).join(', ')}. An SGD step subtracts lr × these.`,
    tensorHead: ['', 'value', 'gradient'],
    training: (d) =>
      `The weights: a 784→${d.net.hidden}→10 TwoLayerNet trained when this page was built, ${d.training.steps} SGD steps (batch ${d.training.batch}, lr ${d.training.lr}, seed ${d.training.seed}) on ${d.training.trainCount.toLocaleString('en')} digits; ${n(d.training.testAccuracy)} accuracy on the other ${d.training.testCount.toLocaleString('en')}. This 2 is test digit #${d.digit.index}, not trained on.`,
  },
  ops: OP_INFO,
};

export const KO: Texts = {
  htmlLang: 'ko',
  title: '그림으로 따라가는 오차역전파법',
  lead: '『밑바닥부터 시작하는 딥러닝』 5장의 계산 그래프를 국소적 계산 하나씩 따라간다. 순전파 값은 에지 위에 검은색으로, 역전파로 돌아오는 기울기는 에지 아래에 빨간색으로 표시한다. 키: → 다음, ← 이전, Home과 End: 처음과 마지막 단계.',
  ui: {
    figure: '그림',
    back: '◀ 이전',
    next: '다음 ▶',
    restart: '처음부터',
    language: '언어',
    loadingGraphviz: 'Graphviz를 불러오는 중… 아래 단계는 이미 동작하고, 그림은 곧 나온다.',
    drawing: '그리는 중…',
    start: '아직 아무것도 계산하지 않았다: 입력에만 값이 있다. 다음 ▶을 누르면 첫 노드를 계산한다.',
    phase: (phase, i, of) => `${phase === 'forward' ? '순전파' : phase === 'backward' ? '역전파' : '정리'} ${i}/${of}`,
    nudge: '입력을 조금 바꿔 보기',
    nudgeHelp: '입력 하나를 바꾸고 순전파를 다시 하면, 출력은 대략 기울기 × 변화량만큼 변한다.',
    nudged: (r) =>
      `${r.input}: ${n(r.from)} → ${n(r.to)}, ${r.output}: ${n(r.before)} → ${n(r.after)}, 변화량 ${n(r.after - r.before)}. 역전파로 구한 기울기 ∂${r.output}/∂${r.input} = ${n(r.gradient)}, ${n(r.gradient)} × ${n(r.to - r.from)} = ${n(r.gradient * (r.to - r.from))}.`,
    digit: '숫자 이미지',
  },
  names: { apple: '사과', appleNum: '사과 개수', orange: '귤', orangeNum: '귤 개수', tax: '소비세', price: '지불 금액' },
  figures: {
    apple: {
      short: '사과 쇼핑',
      title: '사과 쇼핑: 계산 그래프',
      intro:
        '개당 100원인 사과 2개를 사고 소비세 10%가 붙는다. 계산 그래프는 계산 과정을 노드와 에지로 나타낸다. 각 노드는 자신과 직접 관계된 정보만으로 계산하는 국소적 계산을 하고(100과 2로 200), 중간 계산 결과를 보관한다. 역전파로 사과 가격에 도달한 2.2는 사과 가격이 지불 금액에 미치는 영향력, 즉 미분(기울기)이다. 미분을 직접 하지 않고 곱셈만으로 구했다.',
    },
    'chain-rule': {
      short: '연쇄법칙',
      title: '연쇄법칙: z = (x + y)²',
      intro:
        't = x + y, z = t²를 덧셈 노드와 "**2" 노드로 나타냈다. 연쇄법칙에 따라 ∂z/∂x = ∂z/∂t · ∂t/∂x = 2t · 1. 역전파에서 각 노드는 들어온 기울기에 자신의 국소적 미분(노드 옆 회색)을 곱해 다음 노드로 전달한다.',
    },
    add: {
      short: '덧셈 노드',
      title: '덧셈 노드의 역전파',
      intro:
        'z = x + y, 여기서는 10 + 5 = 15. 더 큰 그래프의 최종 출력 L에서 ∂L/∂z = 1.3이 흘러온다. 덧셈 노드는 역전파 때 이 기울기를 그대로 양쪽 입력에 전달한다. ∂z/∂x = ∂z/∂y = 1이기 때문이다.',
    },
    mul: {
      short: '곱셈 노드',
      title: '곱셈 노드의 역전파',
      intro:
        'z = x · y, 여기서는 10 × 5 = 50이고 상류에서 ∂L/∂z = 1.3이 흘러온다. 곱셈 노드는 역전파 때 상류의 기울기에 순전파 때의 입력을 서로 바꾼 값을 곱한다: x는 1.3 × 5 = 6.5, y는 1.3 × 10 = 13을 받는다.',
    },
    shopping: {
      short: '사과와 귤',
      title: '사과와 귤: 715, 그리고 110, 2.2, 3.3, 165, 650의 의미',
      intro:
        '개당 100원인 사과 2개와 개당 150원인 귤 3개, 소비세 10%: 715원. 역전파 한 번으로 모든 입력의 기울기를 얻는다: 사과 개수 110, 사과 가격 2.2, 귤 가격 3.3, 귤 개수 165, 소비세 650. 각각은 단위 1이 변했을 때 결과에 미치는 영향력이다. 사과가 2개에서 3개가 되면 715가 825가 되어 110 차이, 사과 가격이 101이 되면 717.2가 되어 2.2 차이. 아래에서 직접 바꿔 보자.',
    },
    relu: {
      short: 'ReLU',
      title: 'ReLU 노드',
      intro:
        'x > 0이면 y = x, 아니면 0. 순전파에서 입력이 0보다 크면 그대로 전달하고, 0 이하이면 0을 전달한다. 역전파에서도 입력이 0보다 컸던 곳만 기울기를 그대로 전달하고 나머지는 0이다(계층이 그 위치를 mask로 기억한다). 책의 예 x = [[1, −0.5], [−2, 3]].',
    },
    sigmoid: {
      short: '시그모이드',
      title: '×(−1), exp, +1, / 노드로 만든 시그모이드',
      intro:
        'y = 1 / (1 + exp(−x))를 기본 노드로 이루어진 계산 그래프로 그렸다(x = 1). 순전파 후 노드 하나씩 역전파하며 각 노드의 국소적 미분을 곱한다. 마지막은 간소화: 역전파 전체가 ∂L/∂y · y(1 − y)이므로 Sigmoid 계층은 순전파의 출력 y만 기억하면 된다.',
    },
    affine: {
      short: 'Affine',
      title: '배치용 Affine 계층: 기울기의 형상',
      intro:
        '배치 N = 2행에 대한 Y = X·W + B: X (2, 2), W (2, 3), B (3). 책처럼 에지에 행렬의 형상을 표시했다. 역전파: dX = dY·Wᵀ (2, 2), dW = Xᵀ·dY (2, 3), dB = Σ dY, 곧 dY를 배치 방향으로 합한 것 (3). 각 기울기는 원래 변수와 형상이 같다. 수치는 표에 있다.',
    },
    'softmax-with-loss': {
      short: 'Softmax-with-Loss',
      title: '기본 노드로 만든 Softmax-with-Loss: 역전파는 y − t에 도달한다',
      intro:
        '점수 (a1, a2, a3) = (0.3, 2.9, 4.0), 정답 레이블 t = (0, 0, 1). 소프트맥스는 exp, 합, /, ×로, 교차 엔트로피 오차는 log, × t, 합, ×(−1)로 이루어진다. 순전파로 확률 y와 손실 L을 구하고, 역전파는 18번의 국소적 계산을 거쳐 점수에 깔끔한 y − t로 도달한다. SoftmaxWithLoss 계층은 이 값을 바로 계산한다.',
    },
    'two-layer-net': {
      short: '손글씨 2와 TwoLayerNet',
      title: '진짜 손글씨 “2”가 TwoLayerNet을 지나간다',
      intro:
        '내장된 MNIST 숫자에서 꺼낸 손글씨 2가 Affine → ReLU → Affine → Softmax-with-Loss를 지나간다(책의 TwoLayerNet. 노트의 예는 Affine 계층이 세 개다). 점수는 추론에 쓴다: 가장 큰 점수가 답이다. 확률은 학습에 쓴다: 역전파로 모든 가중치의 기울기를 구해 2일 확률을 높이도록 조정한다.',
    },
  },
  notes: {
    sigmoid: (v) =>
      `간소화: 그래프의 역전파는 ∂L/∂y · y² · exp(−x) = ∂L/∂y · y(1 − y)이다. 그래프가 구한 dx = ${v.dx}, y(1 − y) = ${n(v.y)} × ${n(1 - v.y)} = ${v.formula}, Sigmoid 계층(float32)은 y = ${v.layerY}, dx = ${v.layerDx}. 노드 하나가 순전파의 출력 y만 기억해서 모두 해낸다.`,
    softmax: (v) =>
      `역전파가 점수에 y − t로 도달했다: 그래프의 기울기가 y − t와 같고, SoftmaxWithLoss 계층(float32)도 같은 값을 준다. 손실: 그래프 ${n(v.loss)}, 계층 ${n(v.layerLoss)}.`,
    softmaxHead: ['', 'a', 'y', 't', '그래프 ∂L/∂a', 'y − t', '계층 dx'],
    scores: (v) =>
      `마지막 Affine 계층의 점수와 그 확률(소프트맥스). 신경망의 답은 ${v.predicted}, 확률 ${n(v.probability)}. 정답 레이블은 ${v.label}, 손실은 ${n(v.loss)}.`,
    scoresHead: ['숫자', '점수', '확률'],
    netGrads: (g) =>
      `역전파로 모든 매개변수의 기울기를 얻었다. 각 기울기는 매개변수와 형상이 같다: ${g.map((p) => `d${p.key} ${shape(p.shape)} ‖·‖ ${n(p.norm)}`).join(', ')}. SGD는 여기에 학습률을 곱해 뺀다.`,
    tensorHead: ['', '값', '기울기'],
    training: (d) =>
      `가중치: 이 페이지를 빌드할 때 학습시킨 784→${d.net.hidden}→10 TwoLayerNet. 숫자 ${d.training.trainCount.toLocaleString('ko')}개로 SGD ${d.training.steps}단계(배치 ${d.training.batch}, 학습률 ${d.training.lr}, 시드 ${d.training.seed}), 나머지 ${d.training.testCount.toLocaleString('ko')}개에서 정확도 ${n(d.training.testAccuracy)}. 이 2는 학습에 쓰지 않은 시험 데이터 #${d.digit.index}이다.`,
  },
  ops: {
    mul: {
      forwardText: (s) => `${s.name}: ${s.value(0)} × ${s.value(1)} = ${s.out}`,
      backwardText: (s) =>
        `${s.name} (곱셈 노드): 입력을 서로 바꿔 곱한다 — ∂/∂${s.input(0)} = ${s.dout} × ${s.value(1)} = ${s.grad(0)}, ∂/∂${s.input(1)} = ${s.dout} × ${s.value(0)} = ${s.grad(1)}`,
    },
    add: {
      forwardText: (s) => `${s.name}: ${s.value(0)} + ${s.value(1)} = ${s.out}`,
      backwardText: (s) =>
        `${s.name} (덧셈 노드): ${s.dout}을 그대로 전달한다 — ${s.input(0)}에 ${s.grad(0)}, ${s.input(1)}에 ${s.grad(1)}`,
    },
    exp: {
      forwardText: (s) => `${s.name}: exp(${s.value(0)}) = ${s.out}`,
      backwardText: (s) => `${s.name}: 국소적 미분 ∂y/∂x = exp(x) = y이므로 ${s.dout} × ${s.out} = ${s.grad(0)} → ${s.input(0)}`,
    },
    log: {
      forwardText: (s) => `${s.name}: log(${s.value(0)}) = ${s.out}`,
      backwardText: (s) => `${s.name}: 국소적 미분 ∂y/∂x = 1/x이므로 ${s.dout} / ${s.value(0)} = ${s.grad(0)} → ${s.input(0)}`,
    },
    reciprocal: {
      forwardText: (s) => `${s.name}: 1 / ${s.value(0)} = ${s.out}`,
      backwardText: (s) => `${s.name}: 국소적 미분 ∂y/∂x = −1/x² = −y²이므로 ${s.dout} × −(${s.out})² = ${s.grad(0)} → ${s.input(0)}`,
    },
    square: {
      forwardText: (s) => `${s.name}: (${s.value(0)})² = ${s.out}`,
      backwardText: (s) => `${s.name}: 국소적 미분 ∂y/∂x = 2x이므로 ${s.dout} × 2 × ${s.value(0)} = ${s.grad(0)} → ${s.input(0)}`,
    },
    affine: {
      forwardText: (s) => `${s.name}: x·W + b = ${s.out}`,
      backwardText: (s) =>
        `${s.name}: dx = dout·Wᵀ = ${s.grad(0)}, dW = xᵀ·dout = ${s.grad(1)}, db = Σ dout (배치 방향의 합) = ${s.grad(2)}`,
    },
    convolution: {
      forwardText: (s) => `${s.name}: W ∗ x + b (im2col + 행렬 곱) = ${s.out}`,
      backwardText: (s) => `${s.name}: dx = col2im(Wᵀ·dout) = ${s.grad(0)}, dW = dout·colᵀ = ${s.grad(1)}, db = Σ dout = ${s.grad(2)}`,
    },
    pooling: {
      forwardText: (s) => `${s.name}: 각 윈도우의 최댓값 = ${s.out}`,
      backwardText: (s) => `${s.name}: dout은 윈도우에서 최댓값이었던 입력으로만 가고 나머지는 0 = ${s.grad(0)}`,
    },
    relu: {
      forwardText: (s) => `${s.name}: max(x, 0) = ${s.out}`,
      backwardText: (s) => `${s.name}: x > 0인 곳은 dout을 그대로, 나머지는 0 = ${s.grad(0)}`,
    },
    sigmoid: {
      forwardText: (s) => `${s.name}: 1 / (1 + exp(−x)) = ${s.out}`,
      backwardText: (s) => `${s.name}: dout·(1 − y)·y = ${s.grad(0)}`,
    },
    batchNorm: {
      forwardText: (s) => `${s.name}: γ·(x − μ)/√(σ² + ε) + β, μ와 σ²는 배치에서 특징마다 구한다 = ${s.out}`,
      backwardText: (s) =>
        `${s.name}: dx = γ/σ·(dout − mean(dout) − xn·mean(xn·dout)) = ${s.grad(0)}, dγ = Σ xn·dout = ${s.grad(1)}, dβ = Σ dout = ${s.grad(2)}`,
    },
    dropout: {
      forwardText: (s) => `${s.name}: x·mask, rand > ratio인 뉴런만 남긴다 = ${s.out}`,
      backwardText: (s) => `${s.name}: dout·mask, 같은 마스크 = ${s.grad(0)}`,
    },
    softmaxWithLoss: {
      forwardText: (s) => `${s.name}: 교차 엔트로피 오차(softmax(x), t) = ${s.out}`,
      backwardText: (s) => `${s.name}: dx = (y − t) / N = ${s.grad(0)}`,
    },
  },
};

export const TEXTS: Record<Lang, Texts> = { en: EN, ko: KO };
