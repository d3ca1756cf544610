"""Transcript program: nested calls, a loop and a class, for pdb's and gdb's habits."""


class Order:
    def __init__(self, item, qty):
        self.item = item
        self.qty = qty

    def cost(self, prices):
        price = prices[self.item]
        return price * self.qty


def total(orders, prices):
    result = 0
    for order in orders:
        result += order.cost(prices)
    result = round(result * 1.2, 2)
    return result


def main():
    prices = {"tea": 3, "cake": 5}
    orders = [Order("tea", 2), Order("cake", 1), Order("tea", 4)]
    print("total", total(orders, prices))
    print("done")


main()
