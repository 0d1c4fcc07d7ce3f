"""tocsin — an open civil-protection information system.

Official statements about drone and missile attacks become sourced, structured claims; claims from many
sources become incidents; residents' reports reach crews; the public sees what is known and from whom.
"""

__version__ = "0.1.0"
