"""torch.utils.model_zoo (after ``import clgrad.utils.model_zoo``): load_url, the older
name of clgrad.hub.load_state_dict_from_url."""
from ..hub import load_state_dict_from_url as load_url  # noqa: F401
