"""The OMS server: the HTTP API and live event stream over one running ``Oms``."""
