// More equivalence cases (same format as pairs.ts: `pred ||| gold ||| =`, `!=`, `~` when only this
// direction is checked because the gold decides). Written from the rules in docs/grading.md (Math-Verify's
// conventions where ttrl follows them) and from MATH-500 answers restated in other notations.

export const RULE_PAIRS_TEXT = String.raw`
# inequalities
x \geq 5 ||| x >= 5 ||| =
x < 3 ||| x \lt 3 ||| =
x \leq 2 ||| x <= 2 ||| =
x \neq 3 ||| x != 3 ||| =
x > 5 ||| x < 5 ||| !=
x \geq 5 ||| x \leq 5 ||| !=
x \leq 5 ||| 5 \geq x ||| =
x < 1 ||| -x > -1 ||| =
x < 1 ||| x > -1 ||| !=
x <= 1 ||| -x >= -1 ||| =
x < 1 ||| 2x < 2 ||| =
x < 1 ||| -2x < -2 ||| !=
x \in [-2,7] ||| -2 \le x \le 7 ||| ~=
-2 \le x \le 7 ||| x \in [-2,7] ||| ~!=
[-2, 7] ||| -2 \le x \le 7 ||| ~=
-2 \le x \le 7 ||| [-2, 7] ||| ~!=
(-2, 7] ||| -2 < x \le 7 ||| ~=
-2 < x \le 7 ||| (-2, 7] ||| ~!=
-2 < x \le 7 ||| [-2, 7] ||| !=
(5, \infty) ||| x > 5 ||| ~=
x > 5 ||| (5, \infty) ||| ~!=
[5, \infty) ||| x \geq 5 ||| ~=
x \geq 5 ||| [5, \infty) ||| ~!=
x \geq 5 ||| (5, \infty) ||| !=
(-\infty, 3) ||| x < 3 ||| ~=
x < 3 ||| (-\infty, 3) ||| ~!=
(-\infty,-3)\cup(3,\infty) ||| x < -3 \text{ or } x > 3 ||| ~=
x < -3 \text{ or } x > 3 ||| (-\infty,-3)\cup(3,\infty) ||| ~!=
x < -3 \text{ or } x \geq 3 ||| (-\infty,-3)\cup(3,\infty) ||| !=
f(2) < f(1) < f(4) ||| f(2)<f(1)<f(4) ||| =
f(2) < f(1) < f(4) ||| f(1)<f(2)<f(4) ||| !=
# an equation chain is read by its final value when the gold is a value
\frac{1}{3}+\frac{1}{6}=\frac{1}{2} ||| \frac{1}{2} ||| ~=
\frac{1}{2} ||| \frac{1}{3}+\frac{1}{6}=\frac{1}{2} ||| ~!=
3\cdot 4 + 2 = 14 ||| 14 ||| ~=
3\cdot 4 + 2 = 14 ||| 12 ||| ~!=
y = 2+3+4 = 9 ||| 9 ||| ~=
y = 2+3+4 = 9 ||| y = 9 ||| =
n = 4+4 = 8 ||| m = 8 ||| !=
\sqrt{50} = 5\sqrt{2} ||| 5\sqrt{2} ||| ~=
\sqrt{50} = 5\sqrt{2} ||| 5\sqrt{3} ||| ~!=
# a gold that names what is asked accepts the bare value
17 ||| AC = 17 ||| ~=
16 ||| AC = 17 ||| ~!=
4 ||| |PQ| = 4 ||| ~=
\frac{2}{5} ||| \frac{BD}{DC}=\frac{2}{5} ||| ~=
\frac{5}{2} ||| \frac{BD}{DC}=\frac{2}{5} ||| ~!=
12 ||| g(3) = 12 ||| ~=
(4, -1) ||| (a, b) = (4, -1) ||| ~=
(-1, 4) ||| (a, b) = (4, -1) ||| ~!=
9 ||| m + n = 9 ||| ~=
3 ||| 3x - y = 3 ||| ~!=
0 ||| a^2 + 4b = 0 ||| ~!=
x = 3 ||| y = 3 ||| !=
a_1 = 5 ||| a_1 = 5.0 ||| =
# lists of assignments and values
6, 10 ||| PQ = 6, QR = 10 ||| ~=
10, 6 ||| PQ = 6, QR = 10 ||| ~=
6, 11 ||| PQ = 6, QR = 10 ||| ~!=
m = 2, n = -3 ||| -3, 2 ||| =
-3, 7, 12 ||| t = 12, -3, 7 ||| ~=
b_2 = 7, b_5 = 3 ||| b_5 = 3, b_2 = 7 ||| =
b_2 = 7, b_5 = 3 ||| b_5 = 7, b_2 = 3 ||| !=
(2, 9), (9, 2) ||| (x, y) = (2, 9), (9, 2) ||| =
# solutions separated by semicolons; coordinates by semicolons in brackets
(6, 1), (8, 1) ||| a=6, b=1; a=8, b=1 ||| ~=
(6, 1), (8, 2) ||| a=6, b=1; a=8, b=1 ||| ~!=
\{-5, -4, -2\} ||| -5; -4; -2 ||| =
(1;-3;2) ||| (1,-3,2) ||| =
(1;-3;2) ||| (1,-3,-2) ||| !=
# ratios
3:5 ||| 3:5 ||| =
6:10 ||| 3:5 ||| =
5:3 ||| 3:5 ||| !=
\frac{3}{5} ||| 3:5 ||| =
0.6 ||| 3:5 ||| =
3:5 ||| A:B = 3:5 ||| ~=
1:2:3 ||| 2:4:6 ||| =
1:2:3 ||| 1:3:2 ||| !=
1:2:3 ||| 1:2 ||| !=
\sqrt{2}:1 ||| 2:\sqrt{2} ||| =
9:30 ||| 9:30 ||| =
10:05 ||| 10:05 ||| =
2:05 ||| 10:25 ||| !=
# numerals with a base subscript
314_6 ||| 314_6 ||| =
314_{6} ||| 314_6 ||| =
{314}_6 ||| 314_{6} ||| =
314 ||| 314_6 ||| =
314_7 ||| 314_6 ||| !=
315_6 ||| 314_6 ||| !=
118 ||| 314_6 ||| !=
1011_2 ||| 1011_{(2)} ||| =
2B_{16} ||| 2b_{16} ||| =
2B_{16} ||| 2C_{16} ||| !=
FF_{16} ||| ff_{16} ||| =
x_2 ||| X_2 ||| !=
x_2 ||| x_{2} ||| =
# matrices and vectors in other notations
\begin{bmatrix} 2 & 0 \\ 1 & 3 \end{bmatrix} ||| \begin{pmatrix} 2 & 0 \\ 1 & 3 \end{pmatrix} ||| =
\left[\begin{array}{cc} 2 & 0 \\ 1 & 3 \end{array}\right] ||| \begin{pmatrix} 2 & 0 \\ 1 & 3 \end{pmatrix} ||| =
\begin{pmatrix} 2 & 0 \\ 1 & 3 \\ \end{pmatrix} ||| \begin{pmatrix} 2 & 0 \\ 1 & 3 \end{pmatrix} ||| =
\begin{pmatrix} 0 & 2 \\ 1 & 3 \end{pmatrix} ||| \begin{pmatrix} 2 & 0 \\ 1 & 3 \end{pmatrix} ||| !=
\begin{pmatrix} 2 & 1 \\ 0 & 3 \end{pmatrix} ||| \begin{pmatrix} 2 & 0 \\ 1 & 3 \end{pmatrix} ||| !=
\begin{pmatrix} \frac{1}{2} \\ -1 \end{pmatrix} ||| \begin{pmatrix} 0.5 \\ -1 \end{pmatrix} ||| =
\begin{pmatrix} 1/2 \\ -1 \end{pmatrix} ||| (\frac12, -1) ||| =
\begin{pmatrix} -1 \\ 1/2 \end{pmatrix} ||| (\frac12, -1) ||| !=
\begin{pmatrix} 1 & 2 \end{pmatrix} ||| \begin{pmatrix} 1 \\ 2 \end{pmatrix} ||| !=
\begin{pmatrix} 1 & 2 & 3 \end{pmatrix} ||| \begin{pmatrix} 1 \\ 2 \end{pmatrix} ||| !=
# sets, unordered lists and tuples
\{3, 1\} ||| (1, 3) ||| ~!=
\{1, 3\} ||| (1, 3) ||| ~=
(3, 1) ||| \{1, 3\} ||| ~=
(3, 2) ||| \{1, 3\} ||| ~!=
(5, 2) ||| 2, 5 ||| ~=
1, 3 ||| \{3, 1\} ||| =
3, 1 ||| 1, 3 ||| =
(1, 3), (2, 5) ||| (2, 5), (1, 3) ||| =
(3, 1), (2, 5) ||| (2, 5), (1, 3) ||| !=
(1, 3), (2, 5) ||| (2, 5), (1, 3), (4, 4) ||| !=
\{(1, 3), (2, 5)\} ||| (2, 5), (1, 3) ||| =
\{2\} ||| 2 ||| =
\{2, 2\} ||| \{2\} ||| =
\{\} ||| \emptyset ||| =
\pm 7 ||| 7 ||| !=
\pm 7 ||| \{7, -7\} ||| =
-7, 7 ||| \pm 7 ||| =
# words and letters
\text{even} ||| even ||| =
\text{Even} ||| even ||| =
\text{odd} ||| even ||| !=
\mathrm{e} ||| e ||| =
\text{B} ||| B ||| =
\text{B} ||| d ||| !=
# commands with a doubled backslash (a string escaped twice)
\\frac{3}{7} ||| \frac{3}{7} ||| =
\\frac{3}{7} ||| \frac{4}{7} ||| !=
\\left(\\frac{1}{4}, 2\\right) ||| (\frac14, 2) ||| =
x \\ge 2 ||| x \geq 2 ||| =
\\sqrt{12} ||| 2\sqrt{3} ||| =
\begin{pmatrix} 1 \\ 2 \end{pmatrix} ||| (1, 2) ||| =
# answers joined by "and"/"or" (also glued to brackets); spacing commands glued to names
(9,5)or(5,9) ||| (5,9),(9,5) ||| =
(9,5)or(5,8) ||| (5,9),(9,5) ||| !=
4 \text{ and } 6 ||| 6, 4 ||| =
2^{\frac{\sqrt{5}+1}{3}}, 2^{-\frac{\sqrt5-1}{3}} ||| x_{1}=2^{\frac{1+\sqrt{5}}{3}},\quadx_{2}=2^{\frac{1-\sqrt{5}}{3}} ||| ~=
2^{\frac{\sqrt{5}+1}{3}}, 2^{\frac{\sqrt5-1}{3}} ||| x_{1}=2^{\frac{1+\sqrt{5}}{3}},\quadx_{2}=2^{\frac{1-\sqrt{5}}{3}} ||| ~!=
(x-2)^2+3, 2(x+2)^2-3 ||| y_{1}=x^{2}-4x+7, y_{2}=2x^{2}+8x+5 ||| ~=
(x-2)^2+3, 2(x+2)^2+3 ||| y_{1}=x^{2}-4x+7, y_{2}=2x^{2}+8x+5 ||| ~!=
# unicode letters and other spellings of i
2θ ||| 2\theta ||| =
2θ ||| 2\phi ||| !=
3+4\imath ||| 3+4i ||| =
3+4\mathrm{i} ||| 3+4i ||| =
3-4\mathrm{i} ||| 3+4i ||| !=
# strict variables: a different variable is a different answer
f(t) ||| f(s) ||| !=
f(t) ||| f(t) ||| =
t^2 + 1 ||| s^2 + 1 ||| !=
2\sin t ||| 2\sin t ||| =
`;
