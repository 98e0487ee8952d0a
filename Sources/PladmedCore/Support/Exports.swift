// The JSON value type is shared with the Warts decoder; code using PladmedCore sees it too.
@_exported import JSONValues
