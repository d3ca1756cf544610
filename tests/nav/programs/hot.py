# Code hot enough to be quickened (3.11 specializes after a few runs): consecutive lines become
# superinstructions (STORE_FAST__LOAD_FAST, LOAD_FAST__LOAD_FAST...), whose second halves must
# still report their own lines.
def mix(a, b):
    c = a
    d = b
    e = c
    f = d
    return e * f


acc = 0
for k in range(40):
    acc = acc + mix(k, 3)
END_OF_PROGRAM = True
