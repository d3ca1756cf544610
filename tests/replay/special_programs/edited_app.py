# A small script that tests edit after recording: the debugger must show this text.
def double(x):
    y = x * 2
    return y


print("double", double(21))
print("END edited_app")
