"""``python -m socialtap``: the same command line as the ``socialtap`` script.

For an environment whose scripts directory is not on ``PATH`` (a notebook kernel, a
virtualenv used without activation, ``pipx run``).
"""

from socialtap.cli import main

if __name__ == "__main__":
    main(prog_name="socialtap")
