// Equivalence cases, one per line: `pred ||| gold ||| =` (equal) or `!=` (not equal). `#` lines name the
// rule a block covers. Expected values are decided by hand from the mathematics and, where graders
// disagree, by the convention docs/grading.md states (noted inline). Cases marked `~` are not symmetric
// (the percent rule lets the gold decide), so the swapped pair is not checked for them.

import { RULE_PAIRS_TEXT } from './pairs-rules.js';

export interface Pair { pred: string; gold: string; equal: boolean; symmetric: boolean; section: string; line: number }

export const PAIRS_TEXT = String.raw`
# integers, leading zeros, signs
25 ||| 25 ||| =
025 ||| 25 ||| =
007 ||| 7 ||| =
-5 ||| -5 ||| =
-5 ||| 5 ||| !=
+5 ||| 5 ||| =
0 ||| -0 ||| =
100 ||| 1000 ||| !=
12 ||| 21 ||| !=
123456789012345678901234567890 ||| 123456789012345678901234567890 ||| =
123456789012345678901234567890 ||| 123456789012345678901234567891 ||| !=
142.0 ||| 142 ||| =
142.00 ||| 142 ||| =
1000.0 ||| 1000 ||| =
3 ||| 3.0001 ||| !=
# thousands separators
5,000 ||| 5000 ||| =
7,425,000 ||| 7425000 ||| =
10,\!080 ||| 10080 ||| =
11,\! 111,\! 111,\! 100 ||| 11111111100 ||| =
14{,}916 ||| 14916 ||| =
1 000 ||| 1000 ||| =
1,000.99 ||| 1000.99 ||| =
\$32,\!348 ||| 32348 ||| =
32, 349 ||| 32349 ||| !=
5,000 ||| 500 ||| !=
# decimals and fractions
0.5 ||| \frac{1}{2} ||| =
0.5 ||| 1/2 ||| =
\frac12 ||| 0.5 ||| =
\frac{1}{2} ||| \frac{1}{3} ||| !=
\frac{1}{2} ||| \frac{2}{4} ||| =
\dfrac{1}{2} ||| \frac{1}{2} ||| =
\tfrac{3}{4} ||| 0.75 ||| =
\cfrac{1}{3} ||| 1/3 ||| =
\frac 34 ||| 0.75 ||| =
\frac9{19} ||| \frac{9}{19} ||| =
\frac{9}4 ||| 2.25 ||| =
-\frac{3}{8} ||| -0.375 ||| =
\frac{-3}{8} ||| -\frac{3}{8} ||| =
-\frac{3}{8} ||| \frac{3}{8} ||| !=
.35625 ||| 0.35625 ||| =
.0000672 ||| 6.72e-5 ||| =
0.15 ||| \frac{3}{20} ||| =
0.15 ||| 0.16 ||| !=
\frac{10}{9} ||| 10/9 ||| =
-10/9 ||| -\frac{10}{9} ||| =
3.21 ||| 3.210 ||| =
2.5 ||| 5/2 ||| =
\frac{14}{3} ||| 4.\overline{6} ||| =
0.\overline{3} ||| \frac{1}{3} ||| =
\frac{1}{3} ||| 0.3 ||| !=
# rounding rule: a decimal equals what it rounds/truncates with five significant digits
\frac{1}{12} ||| 0.0833333333333333 ||| =
0.33333 ||| \frac{1}{3} ||| =
0.3333 ||| \frac{1}{3} ||| !=
0.33 ||| \frac13 ||| !=
2.6667 ||| \frac{8}{3} ||| =
2.6666 ||| \frac{8}{3} ||| =
2.6668 ||| \frac{8}{3} ||| !=
16386.17 ||| 16386.16 ||| !=
16386.17 ||| 16386.169 ||| =
0.57735 ||| \frac{\sqrt{3}}{3} ||| =
1.41421356 ||| \sqrt{2} ||| =
1.414 ||| \sqrt{2} ||| !=
3.14159 ||| \pi ||| =
3.14 ||| \pi ||| !=
12.566 ||| 4\pi ||| =
12.57 ||| 4\pi ||| !=
# mixed numbers and scientific notation
1\frac{4}{5} ||| \frac{9}{5} ||| =
1\frac{4}{5} ||| 1.8 ||| =
137 \frac{1}{2} ||| 137.5 ||| =
-2\frac{1}{3} ||| -\frac{7}{3} ||| =
1\frac{4}{5} ||| \frac{4}{5} ||| !=
2.5e3 ||| 2500 ||| =
2.5 \times 10^{3} ||| 2500 ||| =
1.5\cdot10^{-2} ||| 0.015 ||| =
6.02 \times 10^{23} ||| 602000000000000000000000 ||| =
1e-3 ||| 0.001 ||| =
2.5e3 ||| 250 ||| !=
# percent: the gold decides
10\% ||| 10 ||| =
10 ||| 10\% ||| =
10\% ||| 0.1 ||| =
0.1 ||| 10\% ||| =
28 ||| 28\% ||| =
28 percent ||| 28\% ||| =
28 \% ||| 0.28 ||| =
0.28 ||| 28 ||| !=
28 ||| \frac{28}{100} ||| !=
50\% ||| 50\% ||| =
50\% ||| 0.5\% ||| !=
12.5\% ||| \frac{1}{8} ||| =
33.333\% ||| \frac{1}{3} ||| =
10\% ||| 0.2 ||| !=
# units, dollars, degrees, text wrappers
\$5 ||| 5 ||| =
\$18.90 ||| 18.9 ||| =
5 dollars ||| 5 ||| =
5.4 \text{ cents} ||| 5.4 ||| =
15\mbox{ cm}^2 ||| 15 ||| =
864 \mbox{ inches}^2 ||| 864 ||| =
125 miles ||| 125 ||| =
125\textnormal{ miles} ||| 125 ||| =
\frac{270}7\text{ degrees} ||| \frac{270}{7} ||| =
30^\circ ||| 30 ||| =
30^{\circ} ||| 30 ||| =
90^\circ ||| 90 ||| =
90^\circ ||| \frac{\pi}{2} ||| !=
106^\circ ||| 106 ||| =
30^\circ ||| 60^\circ ||| !=
\text{13} ||| 13 ||| =
5 \text{ cm} ||| 6 ||| !=
# text answers
\text{Evelyn} ||| Evelyn ||| =
\text{Evelyn} ||| \text{evelyn} ||| =
\text{Evelyn} ||| \text{Navin} ||| !=
\text{east} ||| east ||| =
\text{east} ||| west ||| !=
\text{even} ||| \text{odd} ||| !=
\text{ellipse} ||| ellipse ||| =
\textbf{yes} ||| Yes ||| =
five ||| 5 ||| =
\text{Twelve} ||| 12 ||| =
seven ||| 8 ||| !=
# choices
\text{(B)} ||| B ||| =
(C) ||| C ||| =
\text{C} ||| \text{(C)} ||| =
\text{E} ||| E ||| =
\text{(B)} ||| \text{(C)} ||| !=
\text{(A)}\ 5 ||| A ||| =
(D) 12 ||| \text{(D)} ||| =
(D) 12 ||| C ||| !=
# roots and radicals
\sqrt{8} ||| 2\sqrt{2} ||| =
\sqrt2 ||| \sqrt{2} ||| =
\sqrt 5 ||| \sqrt{5} ||| =
11\sqrt2 ||| 11\sqrt{2} ||| =
2\sqrt{113} ||| \sqrt{452} ||| =
3\sqrt{13} ||| \sqrt{117} ||| =
\frac{\sqrt{3}}{3} ||| \frac{1}{\sqrt{3}} ||| =
\frac{3\sqrt{3}}{4} ||| \frac{\sqrt{27}}{4} ||| =
\sqrt{2}+\sqrt{5} ||| \sqrt 2+\sqrt 5 ||| =
\sqrt[3]{8} ||| 2 ||| =
\sqrt{8} ||| 3\sqrt{2} ||| !=
\sqrt{51} ||| \sqrt{53} ||| !=
4 ||| 4\sqrt{2} ||| !=
2 ||| \frac{1+\sqrt{5}}{2} ||| !=
1\sqrt{19} ||| 1 ||| !=
\frac{5\sqrt{42}}{27} ||| \frac{10\sqrt{10.5}}{27} ||| =
\frac{\sqrt{\sqrt{11}+\sqrt{194}}}{15+2\sqrt{33}} ||| \frac{\sqrt{\sqrt{11}+\sqrt{194}}}{2\sqrt{33}+15} ||| =
4 ||| \frac{34}{16}+\frac{\sqrt{1358}}{16} ||| !=
# pi and constants
\frac{\pi}{2} ||| \pi/2 ||| =
\frac{9}{4}\pi ||| \frac94\pi ||| =
12\pi ||| 12 \pi ||| =
\frac{20000}{\pi} ||| 20000/\pi ||| =
18+2\pi ||| 2\pi+18 ||| =
8 \pi ||| 8\pi ||| =
8\pi ||| 8 ||| !=
e^{i\pi} ||| -1 ||| =
\ln(e^2) ||| 2 ||| =
\log_2 8 ||| 3 ||| =
# polynomials and expressions
x^2+2x+1 ||| (x+1)^2 ||| =
x^2 ||| x^3 ||| !=
p - q ||| p-q ||| =
p - q ||| q - p ||| !=
-13x+3 ||| 3-13x ||| =
15x - 80 ||| 5(3x-16) ||| =
6r^2-4r-24 ||| 2(3r^2-2r-12) ||| =
8n^2 + 4n + 1 ||| 8n^2+4n+1 ||| =
8n^2 + 4n + 1 ||| 8n^2+4n-1 ||| !=
x^5 - x^4 + x^3 - x^2 + x - 1 ||| (x-1)(x^4+x^2+1) ||| =
x^8 + x^7 + x^6 + x^5 + x^4 + x^3 + x^2 + x + 1 ||| \frac{x^9-1}{x-1} ||| =
x^3+3x-6 ||| x^3+3x+6 ||| !=
(a+5)(b+2) ||| ab+2a+5b+10 ||| =
(a+5)(b+2) ||| (+5)(b+2) ||| !=
\frac{11+9a}{20} ||| \frac{11}{20}+\frac{9a}{20} ||| =
\frac{x+2}{7} ||| \frac{x}{7}+\frac{2}{7} ||| =
x+2n+1 ||| x+1 ||| !=
3R^2 ||| 3R^2 ||| =
3R^2 ||| 3r^2 ||| !=
2k ||| 2k+2 ||| !=
5r^5 ||| 5 r^{5} ||| =
\frac{\pi r}{h+r} ||| \pi r/(r+h) ||| =
x+y ||| y+x ||| =
x+1 ||| y+1 ||| !=
# trigonometry
\cot x ||| \frac{\cos x}{\sin x} ||| =
\tan^2(y)+1 ||| \sec^2(y) ||| =
2 \sin b \cos a ||| \sin(a+b)-\sin(a-b) ||| =
\sin^2 x + \cos^2 x ||| 1 ||| =
\sin x ||| \cos x ||| !=
\sin(2x) ||| 2\sin x\cos x ||| =
-\frac{\pi}{6} ||| -\pi/6 ||| =
\arctan 1 ||| \frac{\pi}{4} ||| =
\frac{1}{3\sqrt[3]{x}^2} ||| \frac{1}{3x^{2/3}} ||| =
# complex numbers
2+3i ||| 3i+2 ||| =
2+3i ||| 2-3i ||| !=
-2 + 7i ||| 7i-2 ||| =
1 - 12i ||| 1-12i ||| =
1+274i ||| 1+247i ||| !=
6 - 5i ||| 6-5i ||| =
i ||| \sqrt{-1} ||| =
(1+i)^2 ||| 2i ||| =
# infinity
\infty ||| \infty ||| =
\infty ||| infinity ||| =
-\infty ||| \infty ||| !=
\infty ||| 10^{100} ||| !=
# plus-minus
1 \pm \sqrt{19} ||| 1+\sqrt{19}, 1-\sqrt{19} ||| =
1 \pm \sqrt{19} ||| 1-\sqrt{19}, 1+\sqrt{19} ||| =
3 \pm 2 \sqrt{2} ||| 3\pm2\sqrt{2} ||| =
3 \pm 2 \sqrt{2} ||| 3+2\sqrt{2} ||| !=
\pm 2 ||| 2, -2 ||| =
\frac{1\pm\sqrt{5}}{2} ||| \frac{1+\sqrt{5}}{2}, \frac{1-\sqrt{5}}{2} ||| =
\{1\pm\sqrt{5},-2\} ||| -2, 1-\sqrt{5}, 1+\sqrt{5} ||| =
\{1\pm\sqrt{5},-2\} ||| \{1+\sqrt{5},-2\} ||| !=
# unordered lists and sets
-2,1 ||| 1,-2 ||| =
-2, 1 ||| -2,1 ||| =
3, 5, 7 ||| 7, 5, 3 ||| =
3, 5, 7 ||| 3, 5 ||| !=
3, 5, 7 ||| 3, 5, 8 ||| !=
\{1,2\} ||| \{2,1\} ||| =
\{1,2\} ||| \{1,3\} ||| !=
\{1,2\} ||| 1, 2 ||| =
\{\frac12, 2\} ||| \{2, 0.5\} ||| =
\{5\} ||| 5 ||| =
\emptyset ||| \{\} ||| =
\emptyset ||| \varnothing ||| =
\emptyset ||| \{0\} ||| !=
12\text{ and }13 ||| 12, 13 ||| =
12 \text{ or } 13 ||| 13, 12 ||| =
1, 2, 3, \ldots ||| 1, 2, 3 ||| !=
1, 2, 3, ... ||| 1, 2, 3, \dots ||| =
# ordered tuples
(1,2) ||| (1,2) ||| =
(1,2) ||| (2,1) ||| !=
(1, 2) ||| \left( 1, 2 \right) ||| =
\left( 3, \frac{\pi}{2} \right) ||| (3, \pi/2) ||| =
\left( 3, \frac{\pi}{2} \right) ||| (3, \pi) ||| !=
(1,-16,-4,43) ||| (1, -16, -4, 43) ||| =
(1,-16,-4,43) ||| (1,-16,-4,42) ||| !=
(1,\frac{9}{2}) ||| (1,4.5) ||| =
(6,31,-1) ||| (6,31) ||| !=
\left( \frac{3}{2}, -13 \right) ||| (1.5,-13) ||| =
(15,-29) ||| (-29,15) ||| !=
(1,3) ||| \{1,3\} ||| =
\{1,3\} ||| (3,1) ||| ~!=
(-6, 10) ||| -6, 10 ||| =
# intervals: open and closed ends matter
[1,2] ||| (1,2) ||| !=
[1,2] ||| [1,2] ||| =
[0,1) ||| [0,1) ||| =
[0,9) ||| [0,1) ||| !=
(0,9) ||| [0,9) ||| !=
(3,4] ||| (3,4] ||| =
(3,4] ||| (3,4) ||| !=
(3,4] ||| [3,4] ||| !=
(-\infty, 0] ||| (-\infty,0] ||| =
(-\infty, 0] ||| (-\infty, 0) ||| !=
(2,\infty) ||| (2, \infty) ||| =
(5,\infty) ||| [5,\infty) ||| !=
\left(\frac{3}{5},\frac{8}{3}\right] ||| (0.6, \frac{8}{3}] ||| =
\left[ \frac{\pi^2}{8}, \frac{5 \pi^2}{4} \right] ||| [\pi^2/8, 5\pi^2/4] ||| =
(-\sqrt{3}, \sqrt{3}) ||| (-\sqrt3,\sqrt3) ||| =
x \in [-2,7] ||| [-2,7] ||| =
x \in [-2,7] ||| [-2,7) ||| !=
(-\infty, 2) \cup (3, \infty) ||| (-\infty,2)\cup(3,\infty) ||| =
(-\infty, 2) \cup (3, \infty) ||| (3, \infty) \cup (-\infty, 2) ||| =
(-\infty, 2) \cup (3, \infty) ||| (-\infty, 2] \cup (3, \infty) ||| !=
(0,9) \cup (9,36) ||| (0,9)\cup(9,36) ||| =
(2,12) \cup (12,102) ||| (2,102) ||| !=
[-1, -\frac{1}{2}) \cup (-\frac{1}{2}, 0) ||| [-1, -\tfrac12) \cup (-\tfrac12, 0) ||| =
\mathbb{R} ||| (-\infty, \infty) ||| =
\text{all real numbers} ||| (-\infty,\infty) ||| =
\text{no solution} ||| \emptyset ||| =
\text{no solution} ||| \{0\} ||| !=
(0, \infty) ||| x > 0 ||| ~=
x > 0 ||| (0, \infty) ||| ~!=
[0, \infty) ||| x \ge 0 ||| ~=
[0, \infty) ||| x > 0 ||| !=
# matrices and vectors
\begin{pmatrix} -1 & 0 \\ 0 & -1 \end{pmatrix} ||| \begin{pmatrix}-1&0\\0&-1\end{pmatrix} ||| =
\begin{pmatrix} -1 & 0 \\ 0 & -1 \end{pmatrix} ||| \begin{bmatrix} -1 & 0 \\ 0 & -1 \end{bmatrix} ||| =
\begin{pmatrix} -1 & 0 \\ 0 & -1 \end{pmatrix} ||| \begin{pmatrix} -1 & 0 \\ 0 & 1 \end{pmatrix} ||| !=
\begin{pmatrix}1 & 2 \\3 & 4\end{pmatrix} ||| \left[\begin{array}{cc}1 & 2 \\3 & 4\end{array}\right] ||| =
\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix} ||| \begin{pmatrix}1 & 3 \\ 2 & 4\end{pmatrix} ||| !=
\begin{pmatrix} 1/5 \\ -18/5 \end{pmatrix} ||| \begin{pmatrix} \frac{1}{5} \\ -\frac{18}{5} \end{pmatrix} ||| =
\begin{pmatrix} 1/5 \\ -18/5 \end{pmatrix} ||| \begin{pmatrix} 0.2 \\ -3.6 \end{pmatrix} ||| =
\begin{pmatrix} -1/3 \\ 2/3 \\ 5/3 \end{pmatrix} ||| \left(-\frac13, \frac23, \frac53\right) ||| =
\begin{pmatrix} -1/3 \\ 2/3 \\ 5/3 \end{pmatrix} ||| \begin{pmatrix} -1/3 \\ 2/3 \end{pmatrix} ||| !=
\begin{pmatrix}\frac{1}{2} & \frac{3}{4} \\ \frac{5}{6} & \frac{7}{8}\end{pmatrix} ||| \begin{pmatrix}0.5 & 0.75 \\ \frac{5}{6} & 0.875\end{pmatrix} ||| =
# equations and assignments
a=3 ||| 3 ||| =
x = 5 ||| 5 ||| =
5 = x ||| 5 ||| =
\varphi ||| \frac{1+\sqrt5}{2} ||| =
x=5 ||| 6 ||| !=
k = \frac{1}{3} ||| \frac13 ||| =
y = 2x + 3 ||| 2x+3 ||| =
y = 2x + 3 ||| y=2x+3 ||| =
y = 2x + 3 ||| 2x+4 ||| !=
y = -2x ||| 2x + y = 0 ||| =
y = -2x ||| y = 2x ||| !=
7 = 11a+c ||| 11a+c ||| ~=
11a+c ||| 7 = 11a+c ||| ~!=
2x + z = 1 ||| 1 ||| ~=
1 ||| 2x + z = 1 ||| ~!=
x = 5+5+1 = 7 = 11 ||| x = 11 ||| =
1 = \zeta = x = 0 ||| 0 ||| =
z = 1 + 1 = 2 ||| z = 3+3 = 2 ||| =
34x+45y-20z+100=0 ||| -34x-45y+20z-100=0 ||| =
2x+4y-3=0 ||| y=-\frac{1}{2}x+\frac{3}{4} ||| =
x^2/4 + y^2/3 = 1 ||| x^2/16 + y^2/12 = 1/4 ||| =
x^2/4 + y^2/3 = 1 ||| x^2/4 + y^2/3 = 2 ||| !=
5x - 7y + 11z + 4 = 0 ||| 10x-14y+22z+8=0 ||| =
5x - 7y + 11z + 4 = 0 ||| 5x-7y+11z-4=0 ||| !=
x-2y+z-1=0 ||| x-2y+z=1 ||| =
f(x) = x^2+1 ||| x^2+1 ||| =
x \approx 11 ||| 11 ||| =
x = \frac13 \approx 0.33 ||| \frac{1}{3} ||| =
x = 5+5+1 = 1/3 \approx 11 ||| x = 1/3 ||| =
\frac{70}{9} \approx 7.78 ||| 7.78 ||| !=
# more expressions
\frac34i ||| \frac{3}{4}i ||| =
\frac{\sqrt{10}}{5} ||| \sqrt{\frac{2}{5}} ||| =
\frac{2\sqrt{3}}{3} ||| \frac{2}{\sqrt{3}} ||| =
10^{-3} ||| 0.001 ||| =
2^{10} ||| 1024 ||| =
2^{10} ||| 1000 ||| !=
\log_{2}{1024} ||| 10 ||| =
e^{\ln 5} ||| 5 ||| =
|{-5}| ||| 5 ||| =
\lfloor 3.7 \rfloor ||| 3 ||| =
\binom{5}{2} ||| 10 ||| =
5! ||| 120 ||| =
5! ||| 24 ||| !=
(x-1)(x+1) ||| x^2-1 ||| =
(x-1)(x+1) ||| x^2+1 ||| !=
\sqrt{3}i ||| i\sqrt{3} ||| =
\frac{3}{2}\pi ||| \frac{3\pi}{2} ||| =
\frac{a}{b} ||| a/b ||| =
\frac{a}{b} ||| b/a ||| !=
# base-n numerals compare as written
204_5 ||| 204_{5} ||| =
204_5 ||| 54 ||| !=
4210_{5} ||| 4210_5 ||| =
1112112_3 ||| 1112122_3 ||| !=
`;

/** Parse PAIRS_TEXT into cases (throws on a malformed line, naming it). */
export function parsePairs(text: string = PAIRS_TEXT + RULE_PAIRS_TEXT): Pair[] {
  const out: Pair[] = [];
  let section = '';
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) { section = line.slice(1).trim(); return; }
    const parts = line.split(' ||| ');
    if (parts.length !== 3 || !/^~?!?=$/.test(parts[2]!.trim())) throw new Error(`pairs line ${i}: '${line}'`);
    const mark = parts[2]!.trim();
    out.push({ pred: parts[0]!.trim(), gold: parts[1]!.trim(), equal: !mark.includes('!'), symmetric: !mark.startsWith('~'), section, line: i });
  });
  return out;
}
