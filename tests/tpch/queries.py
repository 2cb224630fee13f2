"""The 22 TPC-H queries: each as the reference SQL (the spec's text with its validation parameters) and, where
the language can say it, as a pipeline written from docs/query.md over ``tests/tpch/model.yaml``.

A query the language cannot say sets ``blocked`` (the feature it waits for) instead of ``dsl``; the answers
test marks it xfail with that reason. Today all 22 are written.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["QUERIES", "Query"]


@dataclass(frozen=True)
class Query:
    number: int
    reference: str
    dsl: str | None = None
    blocked: str | None = None  # the missing feature, when ``dsl`` is None


_REVENUE = "extendedprice * (1 - discount)"

QUERIES: tuple[Query, ...] = (
    Query(
        1,
        """select l_returnflag, l_linestatus, sum(l_quantity) as sum_qty, sum(l_extendedprice) as sum_base_price,
           sum(l_extendedprice * (1 - l_discount)) as sum_disc_price,
           sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) as sum_charge, avg(l_quantity) as avg_qty,
           avg(l_extendedprice) as avg_price, avg(l_discount) as avg_disc, count(*) as count_order
        from lineitem where l_shipdate <= date '1998-12-01' - interval '90' day
        group by l_returnflag, l_linestatus order by l_returnflag, l_linestatus""",
        f"""lineitem
        | where shipdate <= date "1998-12-01" - 90 days
        | group returnflag, linestatus
        | aggregate sum_qty = sum(quantity), sum_base_price = sum(extendedprice),
                    sum_disc_price = sum({_REVENUE}), sum_charge = sum({_REVENUE} * (1 + tax)),
                    avg_qty = avg(quantity), avg_price = avg(extendedprice), avg_disc = avg(discount),
                    count_order = count()
        | sort returnflag, linestatus""",
    ),
    Query(
        2,
        """select s_acctbal, s_name, n_name, p_partkey, p_mfgr, s_address, s_phone, s_comment
        from part, supplier, partsupp, nation, region
        where p_partkey = ps_partkey and s_suppkey = ps_suppkey and p_size = 15 and p_type like '%BRASS'
          and s_nationkey = n_nationkey and n_regionkey = r_regionkey and r_name = 'EUROPE'
          and ps_supplycost = (select min(ps_supplycost) from partsupp, supplier, nation, region
                               where p_partkey = ps_partkey and s_suppkey = ps_suppkey and s_nationkey = n_nationkey
                                 and n_regionkey = r_regionkey and r_name = 'EUROPE')
        order by s_acctbal desc, n_name, s_name, p_partkey limit 100""",
        """partsupp
        | where part.size = 15 and part.type like "%BRASS" and supplier.nation.region.name = "EUROPE"
          and supplycost = min(part.partsupps.supplycost, part.partsupps.supplier.nation.region.name = "EUROPE")
        | select s_acctbal = supplier.acctbal, s_name = supplier.name, n_name = supplier.nation.name,
                 p_partkey = part.partkey, p_mfgr = part.mfgr, s_address = supplier.address,
                 s_phone = supplier.phone, s_comment = supplier.comment
        | sort -s_acctbal, n_name, s_name, p_partkey
        | take 100""",
    ),
    Query(
        3,
        """select l_orderkey, sum(l_extendedprice * (1 - l_discount)) as revenue, o_orderdate, o_shippriority
        from customer, orders, lineitem
        where c_mktsegment = 'BUILDING' and c_custkey = o_custkey and l_orderkey = o_orderkey
          and o_orderdate < date '1995-03-15' and l_shipdate > date '1995-03-15'
        group by l_orderkey, o_orderdate, o_shippriority order by revenue desc, o_orderdate limit 10""",
        f"""lineitem
        | where order.customer.mktsegment = "BUILDING" and order.orderdate < date "1995-03-15"
          and shipdate > date "1995-03-15"
        | group orderkey, orderdate = order.orderdate, shippriority = order.shippriority
        | aggregate revenue = sum({_REVENUE})
        | select orderkey, revenue, orderdate, shippriority
        | sort -revenue, orderdate
        | take 10""",
    ),
    Query(
        4,
        """select o_orderpriority, count(*) as order_count from orders
        where o_orderdate >= date '1993-07-01' and o_orderdate < date '1993-07-01' + interval '3' month
          and exists (select * from lineitem where l_orderkey = o_orderkey and l_commitdate < l_receiptdate)
        group by o_orderpriority order by o_orderpriority""",
        """orders
        | where orderdate >= date "1993-07-01" and orderdate < date "1993-07-01" + 3 months
          and any(lineitems, commitdate < receiptdate)
        | group orderpriority
        | aggregate order_count = count()
        | sort orderpriority""",
    ),
    Query(
        5,
        """select n_name, sum(l_extendedprice * (1 - l_discount)) as revenue
        from customer, orders, lineitem, supplier, nation, region
        where c_custkey = o_custkey and l_orderkey = o_orderkey and l_suppkey = s_suppkey
          and c_nationkey = s_nationkey and s_nationkey = n_nationkey and n_regionkey = r_regionkey
          and r_name = 'ASIA' and o_orderdate >= date '1994-01-01'
          and o_orderdate < date '1994-01-01' + interval '1' year
        group by n_name order by revenue desc""",
        f"""lineitem
        | where supplier.nation.region.name = "ASIA" and supplier.nationkey = order.customer.nationkey
          and order.orderdate >= date "1994-01-01" and order.orderdate < date "1994-01-01" + 1 year
        | group n_name = supplier.nation.name
        | aggregate revenue = sum({_REVENUE})
        | sort -revenue""",
    ),
    Query(
        6,
        """select sum(l_extendedprice * l_discount) as revenue from lineitem
        where l_shipdate >= date '1994-01-01' and l_shipdate < date '1994-01-01' + interval '1' year
          and l_discount between 0.06 - 0.01 and 0.06 + 0.01 and l_quantity < 24""",
        """lineitem
        | where shipdate >= date "1994-01-01" and shipdate < date "1994-01-01" + 1 year
          and discount between 0.05 and 0.07 and quantity < 24
        | aggregate revenue = sum(extendedprice * discount)""",
    ),
    Query(
        7,
        """select supp_nation, cust_nation, l_year, sum(volume) as revenue from (
            select n1.n_name as supp_nation, n2.n_name as cust_nation, extract(year from l_shipdate) as l_year,
                   l_extendedprice * (1 - l_discount) as volume
            from supplier, lineitem, orders, customer, nation n1, nation n2
            where s_suppkey = l_suppkey and o_orderkey = l_orderkey and c_custkey = o_custkey
              and s_nationkey = n1.n_nationkey and c_nationkey = n2.n_nationkey
              and ((n1.n_name = 'FRANCE' and n2.n_name = 'GERMANY') or (n1.n_name = 'GERMANY' and n2.n_name = 'FRANCE'))
              and l_shipdate between date '1995-01-01' and date '1996-12-31') as shipping
        group by supp_nation, cust_nation, l_year order by supp_nation, cust_nation, l_year""",
        f"""lineitem
        | derive supp_nation = supplier.nation.name, cust_nation = order.customer.nation.name
        | where ((supp_nation = "FRANCE" and cust_nation = "GERMANY")
                 or (supp_nation = "GERMANY" and cust_nation = "FRANCE"))
          and shipdate between date "1995-01-01" and date "1996-12-31"
        | group supp_nation, cust_nation, l_year = year_of(shipdate)
        | aggregate revenue = sum({_REVENUE})
        | sort supp_nation, cust_nation, l_year""",
    ),
    Query(
        8,
        """select o_year, sum(case when nation = 'BRAZIL' then volume else 0 end) / sum(volume) as mkt_share from (
            select extract(year from o_orderdate) as o_year, l_extendedprice * (1 - l_discount) as volume,
                   n2.n_name as nation
            from part, supplier, lineitem, orders, customer, nation n1, nation n2, region
            where p_partkey = l_partkey and s_suppkey = l_suppkey and l_orderkey = o_orderkey
              and o_custkey = c_custkey and c_nationkey = n1.n_nationkey and n1.n_regionkey = r_regionkey
              and r_name = 'AMERICA' and s_nationkey = n2.n_nationkey
              and o_orderdate between date '1995-01-01' and date '1996-12-31'
              and p_type = 'ECONOMY ANODIZED STEEL') as all_nations
        group by o_year order by o_year""",
        f"""lineitem
        | where part.type = "ECONOMY ANODIZED STEEL" and order.customer.nation.region.name = "AMERICA"
          and order.orderdate between date "1995-01-01" and date "1996-12-31"
        | group o_year = year_of(order.orderdate)
        | aggregate mkt_share = coalesce(sum({_REVENUE}, supplier.nation.name = "BRAZIL"), 0) / sum({_REVENUE})
        | sort o_year""",
    ),
    Query(
        9,
        """select nation, o_year, sum(amount) as sum_profit from (
            select n_name as nation, extract(year from o_orderdate) as o_year,
                   l_extendedprice * (1 - l_discount) - ps_supplycost * l_quantity as amount
            from part, supplier, lineitem, partsupp, orders, nation
            where s_suppkey = l_suppkey and ps_suppkey = l_suppkey and ps_partkey = l_partkey
              and p_partkey = l_partkey and o_orderkey = l_orderkey and s_nationkey = n_nationkey
              and p_name like '%green%') as profit
        group by nation, o_year order by nation, o_year desc""",
        f"""lineitem
        | where part.name like "%green%"
        | group nation = supplier.nation.name, o_year = year_of(order.orderdate)
        | aggregate sum_profit = sum({_REVENUE} - partsupp.supplycost * quantity)
        | sort nation, -o_year""",
    ),
    Query(
        10,
        """select c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) as revenue, c_acctbal, n_name,
                  c_address, c_phone, c_comment
        from customer, orders, lineitem, nation
        where c_custkey = o_custkey and l_orderkey = o_orderkey and o_orderdate >= date '1993-10-01'
          and o_orderdate < date '1993-10-01' + interval '3' month and l_returnflag = 'R'
          and c_nationkey = n_nationkey
        group by c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment
        order by revenue desc limit 20""",
        f"""lineitem
        | where returnflag = "R" and order.orderdate >= date "1993-10-01"
          and order.orderdate < date "1993-10-01" + 3 months
        | group c_custkey = order.customer.custkey, c_name = order.customer.name,
                c_acctbal = order.customer.acctbal, n_name = order.customer.nation.name,
                c_address = order.customer.address, c_phone = order.customer.phone,
                c_comment = order.customer.comment
        | aggregate revenue = sum({_REVENUE})
        | select c_custkey, c_name, revenue, c_acctbal, n_name, c_address, c_phone, c_comment
        | sort -revenue
        | take 20""",
    ),
    Query(
        11,
        """select ps_partkey, sum(ps_supplycost * ps_availqty) as value
        from partsupp, supplier, nation
        where ps_suppkey = s_suppkey and s_nationkey = n_nationkey and n_name = 'GERMANY'
        group by ps_partkey having sum(ps_supplycost * ps_availqty) > (
            select sum(ps_supplycost * ps_availqty) * 0.0001 from partsupp, supplier, nation
            where ps_suppkey = s_suppkey and s_nationkey = n_nationkey and n_name = 'GERMANY')
        order by value desc""",
        """partsupp
        | where supplier.nation.name = "GERMANY"
        | group partkey
        | aggregate value = sum(supplycost * availqty)
        | where value > all(sum(supplycost * availqty)) * 0.0001
        | sort -value""",
    ),
    Query(
        12,
        """select l_shipmode,
               sum(case when o_orderpriority = '1-URGENT' or o_orderpriority = '2-HIGH' then 1 else 0 end)
                   as high_line_count,
               sum(case when o_orderpriority <> '1-URGENT' and o_orderpriority <> '2-HIGH' then 1 else 0 end)
                   as low_line_count
        from orders, lineitem
        where o_orderkey = l_orderkey and l_shipmode in ('MAIL', 'SHIP') and l_commitdate < l_receiptdate
          and l_shipdate < l_commitdate and l_receiptdate >= date '1994-01-01'
          and l_receiptdate < date '1994-01-01' + interval '1' year
        group by l_shipmode order by l_shipmode""",
        """lineitem
        | where shipmode in ("MAIL", "SHIP") and commitdate < receiptdate and shipdate < commitdate
          and receiptdate >= date "1994-01-01" and receiptdate < date "1994-01-01" + 1 year
        | group shipmode
        | aggregate high_line_count = count(order.orderpriority in ("1-URGENT", "2-HIGH")),
                    low_line_count = count(order.orderpriority not in ("1-URGENT", "2-HIGH"))
        | sort shipmode""",
    ),
    Query(
        13,
        """select c_count, count(*) as custdist from (
            select c_custkey, count(o_orderkey) as c_count
            from customer left outer join orders on c_custkey = o_custkey and o_comment not like '%special%requests%'
            group by c_custkey) as c_orders
        group by c_count order by custdist desc, c_count desc""",
        """customer
        | derive c_count = count(orders, comment not like "%special%requests%")
        | group c_count
        | aggregate custdist = count()
        | sort -custdist, -c_count""",
    ),
    Query(
        14,
        """select 100.00 * sum(case when p_type like 'PROMO%' then l_extendedprice * (1 - l_discount) else 0 end)
               / sum(l_extendedprice * (1 - l_discount)) as promo_revenue
        from lineitem, part
        where l_partkey = p_partkey and l_shipdate >= date '1995-09-01'
          and l_shipdate < date '1995-09-01' + interval '1' month""",
        f"""lineitem
        | where shipdate >= date "1995-09-01" and shipdate < date "1995-09-01" + 1 month
        | aggregate promo_revenue = 100.00 * sum({_REVENUE}, part.type like "PROMO%") / sum({_REVENUE})""",
    ),
    Query(
        15,
        """with revenue0 as (
            select l_suppkey as supplier_no, sum(l_extendedprice * (1 - l_discount)) as total_revenue
            from lineitem where l_shipdate >= date '1996-01-01' and l_shipdate < date '1996-01-01' + interval '3' month
            group by l_suppkey)
        select s_suppkey, s_name, s_address, s_phone, total_revenue from supplier, revenue0
        where s_suppkey = supplier_no and total_revenue = (select max(total_revenue) from revenue0)
        order by s_suppkey""",
        """supplier
        | derive total_revenue = sum(lineitems.extendedprice * (1 - lineitems.discount),
                                     lineitems.shipdate >= date "1996-01-01"
                                     and lineitems.shipdate < date "1996-01-01" + 3 months)
        | where total_revenue = all(max(total_revenue))
        | select s_suppkey = suppkey, s_name = name, s_address = address, s_phone = phone, total_revenue
        | sort s_suppkey""",
    ),
    Query(
        16,
        """select p_brand, p_type, p_size, count(distinct ps_suppkey) as supplier_cnt
        from partsupp, part
        where p_partkey = ps_partkey and p_brand <> 'Brand#45' and p_type not like 'MEDIUM POLISHED%'
          and p_size in (49, 14, 23, 45, 19, 3, 36, 9)
          and ps_suppkey not in (select s_suppkey from supplier where s_comment like '%Customer%Complaints%')
        group by p_brand, p_type, p_size order by supplier_cnt desc, p_brand, p_type, p_size""",
        """partsupp
        | where part.brand != "Brand#45" and part.type not like "MEDIUM POLISHED%"
          and part.size in (49, 14, 23, 45, 19, 3, 36, 9) and supplier.comment not like "%Customer%Complaints%"
        | group p_brand = part.brand, p_type = part.type, p_size = part.size
        | aggregate supplier_cnt = count_distinct(suppkey)
        | sort -supplier_cnt, p_brand, p_type, p_size""",
    ),
    Query(
        17,
        """select sum(l_extendedprice) / 7.0 as avg_yearly from lineitem, part
        where p_partkey = l_partkey and p_brand = 'Brand#23' and p_container = 'MED BOX'
          and l_quantity < (select 0.2 * avg(l_quantity) from lineitem where l_partkey = p_partkey)""",
        """lineitem
        | where part.brand = "Brand#23" and part.container = "MED BOX"
          and quantity < 0.2 * avg(part.lineitems.quantity)
        | aggregate avg_yearly = sum(extendedprice) / 7.0""",
    ),
    Query(
        18,
        """select c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice, sum(l_quantity)
        from customer, orders, lineitem
        where o_orderkey in (select l_orderkey from lineitem group by l_orderkey having sum(l_quantity) > 300)
          and c_custkey = o_custkey and o_orderkey = l_orderkey
        group by c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice
        order by o_totalprice desc, o_orderdate limit 100""",
        """orders
        | where sum(lineitems.quantity) > 300
        | select c_name = customer.name, c_custkey = custkey, orderkey, orderdate, totalprice,
                 sum_qty = sum(lineitems.quantity)
        | sort -totalprice, orderdate
        | take 100""",
    ),
    Query(
        19,
        """select sum(l_extendedprice * (1 - l_discount)) as revenue from lineitem, part
        where (p_partkey = l_partkey and p_brand = 'Brand#12'
               and p_container in ('SM CASE', 'SM BOX', 'SM PACK', 'SM PKG') and l_quantity >= 1
               and l_quantity <= 1 + 10 and p_size between 1 and 5 and l_shipmode in ('AIR', 'AIR REG')
               and l_shipinstruct = 'DELIVER IN PERSON')
           or (p_partkey = l_partkey and p_brand = 'Brand#23'
               and p_container in ('MED BAG', 'MED BOX', 'MED PKG', 'MED PACK') and l_quantity >= 10
               and l_quantity <= 10 + 10 and p_size between 1 and 10 and l_shipmode in ('AIR', 'AIR REG')
               and l_shipinstruct = 'DELIVER IN PERSON')
           or (p_partkey = l_partkey and p_brand = 'Brand#34'
               and p_container in ('LG CASE', 'LG BOX', 'LG PACK', 'LG PKG') and l_quantity >= 20
               and l_quantity <= 20 + 10 and p_size between 1 and 15 and l_shipmode in ('AIR', 'AIR REG')
               and l_shipinstruct = 'DELIVER IN PERSON')""",
        f"""lineitem
        | where shipmode in ("AIR", "AIR REG") and shipinstruct = "DELIVER IN PERSON"
          and ((part.brand = "Brand#12" and part.container in ("SM CASE", "SM BOX", "SM PACK", "SM PKG")
                and quantity between 1 and 11 and part.size between 1 and 5)
            or (part.brand = "Brand#23" and part.container in ("MED BAG", "MED BOX", "MED PKG", "MED PACK")
                and quantity between 10 and 20 and part.size between 1 and 10)
            or (part.brand = "Brand#34" and part.container in ("LG CASE", "LG BOX", "LG PACK", "LG PKG")
                and quantity between 20 and 30 and part.size between 1 and 15))
        | aggregate revenue = sum({_REVENUE})""",
    ),
    Query(
        20,
        """select s_name, s_address from supplier, nation
        where s_suppkey in (
            select ps_suppkey from partsupp
            where ps_partkey in (select p_partkey from part where p_name like 'forest%')
              and ps_availqty > (select 0.5 * sum(l_quantity) from lineitem
                                 where l_partkey = ps_partkey and l_suppkey = ps_suppkey
                                   and l_shipdate >= date '1994-01-01'
                                   and l_shipdate < date '1994-01-01' + interval '1' year))
          and s_nationkey = n_nationkey and n_name = 'CANADA'
        order by s_name""",
        """partsupp
        | where part.name like "forest%" and supplier.nation.name = "CANADA"
          and availqty > 0.5 * sum(lineitems.quantity, lineitems.shipdate >= date "1994-01-01"
                                                       and lineitems.shipdate < date "1994-01-01" + 1 year)
        | group s_name = supplier.name, s_address = supplier.address
        | aggregate parts = count()
        | select s_name, s_address
        | sort s_name""",
    ),
    Query(
        21,
        """select s_name, count(*) as numwait from supplier, lineitem l1, orders, nation
        where s_suppkey = l1.l_suppkey and o_orderkey = l1.l_orderkey and o_orderstatus = 'F'
          and l1.l_receiptdate > l1.l_commitdate
          and exists (select * from lineitem l2 where l2.l_orderkey = l1.l_orderkey and l2.l_suppkey <> l1.l_suppkey)
          and not exists (select * from lineitem l3 where l3.l_orderkey = l1.l_orderkey
                          and l3.l_suppkey <> l1.l_suppkey and l3.l_receiptdate > l3.l_commitdate)
          and s_nationkey = n_nationkey and n_name = 'SAUDI ARABIA'
        group by s_name order by numwait desc, s_name limit 100""",
        """lineitem
        | where supplier.nation.name = "SAUDI ARABIA" and order.orderstatus = "F" and receiptdate > commitdate
          and any(order.lineitems, suppkey != outer.suppkey)
          and not any(order.lineitems, suppkey != outer.suppkey and receiptdate > commitdate)
        | group s_name = supplier.name
        | aggregate numwait = count()
        | sort -numwait, s_name
        | take 100""",
    ),
    Query(
        22,
        """select cntrycode, count(*) as numcust, sum(c_acctbal) as totacctbal from (
            select substring(c_phone from 1 for 2) as cntrycode, c_acctbal from customer
            where substring(c_phone from 1 for 2) in ('13', '31', '23', '29', '30', '18', '17')
              and c_acctbal > (select avg(c_acctbal) from customer where c_acctbal > 0.00
                               and substring(c_phone from 1 for 2) in ('13', '31', '23', '29', '30', '18', '17'))
              and not exists (select * from orders where o_custkey = c_custkey)) as custsale
        group by cntrycode order by cntrycode""",
        """customer
        | derive cntrycode = substring(phone, 1, 2)
        | where cntrycode in ("13", "31", "23", "29", "30", "18", "17")
        | where acctbal > all(avg(acctbal, acctbal > 0.00)) and not any(orders)
        | group cntrycode
        | aggregate numcust = count(), totacctbal = sum(acctbal)
        | sort cntrycode""",
    ),
)
