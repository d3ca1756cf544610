import collections
import datetime

Order = collections.namedtuple("Order", "item qty")


class Cart:
    def __init__(self):
        self.orders = []

    def add(self, item, qty=1, *notes, **extra):
        order = Order(item, qty)
        self.orders.append(order)
        return order

    @property
    def size(self):
        return sum(o.qty for o in self.orders)


def main():
    cart = Cart()
    when = datetime.date(2024, 5, 17)
    for name, qty in [("apple", 3), ("pear", 1), ("fig", 2)]:
        cart.add(name, qty, "fresh", gift=False)
    print(cart.size, when)


main()
